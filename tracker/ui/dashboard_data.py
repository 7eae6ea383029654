"""Cached dashboard figures, keyed by plain arguments (database URL, filters, day).

`data.clear_after_write` clears every st.cache_data entry, these included, so a progress update
shows on the dashboard at the next run; the TTL bounds staleness from writes made elsewhere (CLI).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.config import database_url
from tracker.db import session_scope
from tracker.permissions import Actor
from tracker.services import dashboard as dashboard_service
from tracker.services import dashboard_filters
from tracker.services import flow as flow_service
from tracker.services import settings as settings_service
from tracker.services.dashboard import Dashboard, Filters
from tracker.ui.engine import engine_for

DASHBOARD_TTL = 300


def _url() -> str:
    return database_url(st.secrets)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner="Đang tổng hợp số liệu…")
def _dashboard(url: str, filters: Filters, today: dt.date, _actor: Actor) -> Dashboard:
    # _actor is not part of the key: every role may see the dashboard, and the page checked the sign-in.
    with session_scope(engine_for(url)) as session:
        return dashboard_service.build(session, actor=_actor, filters=filters, today=today, include_flow=False)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner="Đang dựng lại luồng tích lũy từ lịch sử…")
def _flow(url: str, filters: Filters, today: dt.date, year: int, freq: str) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return flow_service.flow(session, filters=filters, today=today, year=year, freq=freq)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _items(url: str, filters: Filters, today: dt.date, unit_id: int | None, task_id: int | None,
           at_risk: bool, limit: int) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.items(session, filters=filters, today=today, unit_id=unit_id, task_id=task_id,
                                       at_risk=at_risk, limit=limit)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _count(url: str, filters: Filters, today: dt.date, at_risk: bool) -> int:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.count_items(session, filters=filters, today=today, at_risk=at_risk)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _compare(url: str, plan_ids: tuple[int, ...], today: dt.date) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.compare_plans(session, plan_ids=list(plan_ids), today=today)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _options(url: str, plan_id: int, unit_kind) -> dashboard_filters.FilterOptions:
    with session_scope(engine_for(url)) as session:
        return dashboard_filters.options(session, plan_id=plan_id, unit_kind=unit_kind)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _reporting(url: str) -> settings_service.Reporting:
    with session_scope(engine_for(url)) as session:
        return settings_service.reporting(session)


@st.cache_data(ttl=DASHBOARD_TTL, show_spinner=False)
def _plan_choices(url: str) -> list[tuple[int, int, str]]:
    with session_scope(engine_for(url)) as session:
        return dashboard_filters.plan_choices(session)


def dashboard(actor: Actor, filters: Filters, today: dt.date) -> Dashboard:
    """Every figure but the cumulative flow (see `flow`), so the page can draw them before it."""
    return _dashboard(_url(), filters, today, actor)


def flow(filters: Filters, today: dt.date, year: int, freq: str) -> pd.DataFrame:
    return _flow(_url(), filters, today, year, freq)


def items(filters: Filters, today: dt.date, *, unit_id: int | None = None, task_id: int | None = None,
          at_risk: bool = False, limit: int = dashboard_service.ITEM_LIMIT) -> pd.DataFrame:
    return _items(_url(), filters, today, unit_id, task_id, at_risk, limit)


def count(filters: Filters, today: dt.date, *, at_risk: bool = False) -> int:
    """How many items `items` would list without its limit."""
    return _count(_url(), filters, today, at_risk)


def compare(plan_ids: tuple[int, ...], today: dt.date) -> pd.DataFrame:
    return _compare(_url(), plan_ids, today)


def options(plan_id: int, unit_kind) -> dashboard_filters.FilterOptions:
    return _options(_url(), plan_id, unit_kind)


def reporting() -> settings_service.Reporting:
    """The office's reporting-period rule (cleared with every other cached figure after a write)."""
    return _reporting(_url())


def plan_choices() -> list[tuple[int, int, str]]:
    return _plan_choices(_url())
