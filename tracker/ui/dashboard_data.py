"""Cached dashboard figures, keyed by plain arguments (database URL, filters, day) and the data's version.

Each read passes in its cache key the version of what it reads (tracker/services/data_versions.py: the
plans' and the catalog's), read from the database once per run (`begin_run`; 0,6 ms on SQLite, 1,3 ms on
PostgreSQL at 100.000 items): a write made in this process, in the other app process or by the CLI is seen
at the next run, and a write to one plan leaves the figures of the others cached. Writes no longer clear these
entries (`data.clear_after_write`); old versions' entries expire with DASHBOARD_TTL (and MAX_ENTRIES per
function bounds the memory they hold until then).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from tracker.config import database_url
from tracker.db import session_scope
from tracker.permissions import Actor
from tracker.services import dashboard as dashboard_service
from tracker.services import dashboard_filters, data_versions
from tracker.services import flow as flow_service
from tracker.services import settings as settings_service
from tracker.services.dashboard import Dashboard, Filters
from tracker.ui.engine import engine_for

DASHBOARD_TTL = 300
MAX_ENTRIES = 200

Version = tuple


def _url() -> str:
    return database_url(st.secrets)


_RUN = "dashboard_data_versions"  # the versions read in this run: {"url", "catalog", "plans": {id: version}}


def begin_run() -> None:
    """Read the versions afresh in this run: a page that shows these figures calls it at its top, and at the top
    of each fragment (a fragment reruns alone). Within a run they are read once, not once per figure."""
    st.session_state[_RUN] = None


def version(url: str, plan_ids: tuple[int, ...] = ()) -> Version:
    """The catalog's version and each plan's as read in this run (`begin_run`): part of every figure's key."""
    memo = st.session_state.get(_RUN)
    if memo is None or memo["url"] != url:
        memo = {"url": url, "catalog": None, "plans": {}}
    missing = [int(p) for p in plan_ids if int(p) not in memo["plans"]]
    if memo["catalog"] is None or missing:
        with Session(engine_for(url)) as session:  # reads only: no commit
            memo["catalog"], plans = data_versions.read(session, missing)
        memo["plans"].update(plans)
        st.session_state[_RUN] = memo
    return (memo["catalog"], *(memo["plans"][int(p)] for p in plan_ids))


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner="Đang tổng hợp số liệu…")
def _dashboard(url: str, filters: Filters, today: dt.date, data_version: Version, _actor: Actor) -> Dashboard:
    # _actor is not part of the key: every role may see the dashboard, and the page checked the sign-in.
    with session_scope(engine_for(url)) as session:
        return dashboard_service.build(session, actor=_actor, filters=filters, today=today, include_flow=False)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES,
               show_spinner="Đang dựng lại luồng tích lũy từ lịch sử…")
def _flow(url: str, filters: Filters, today: dt.date, year: int, freq: str,
          data_version: Version) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return flow_service.flow(session, filters=filters, today=today, year=year, freq=freq)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _items(url: str, filters: Filters, today: dt.date, unit_id: int | None, task_id: int | None,
           at_risk: bool, limit: int, data_version: Version) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.items(session, filters=filters, today=today, unit_id=unit_id, task_id=task_id,
                                       at_risk=at_risk, limit=limit)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _count(url: str, filters: Filters, today: dt.date, at_risk: bool, data_version: Version) -> int:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.count_items(session, filters=filters, today=today, at_risk=at_risk)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _compare(url: str, plan_ids: tuple[int, ...], today: dt.date, data_version: Version) -> pd.DataFrame:
    with session_scope(engine_for(url)) as session:
        return dashboard_service.compare_plans(session, plan_ids=list(plan_ids), today=today)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _options(url: str, plan_id: int, unit_kind, data_version: Version) -> dashboard_filters.FilterOptions:
    with session_scope(engine_for(url)) as session:
        return dashboard_filters.options(session, plan_id=plan_id, unit_kind=unit_kind)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _reporting(url: str, data_version: Version) -> settings_service.Reporting:
    with session_scope(engine_for(url)) as session:
        return settings_service.reporting(session)


@st.cache_data(ttl=DASHBOARD_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _plan_choices(url: str, data_version: Version) -> list[tuple[int, int, str]]:
    with session_scope(engine_for(url)) as session:
        return dashboard_filters.plan_choices(session)


def dashboard(actor: Actor, filters: Filters, today: dt.date) -> Dashboard:
    """Every figure but the cumulative flow (see `flow`), so the page can draw them before it."""
    url = _url()
    return _dashboard(url, filters, today, version(url, (filters.plan_id,)), actor)


def flow(filters: Filters, today: dt.date, year: int, freq: str) -> pd.DataFrame:
    url = _url()
    return _flow(url, filters, today, year, freq, version(url, (filters.plan_id,)))


def items(filters: Filters, today: dt.date, *, unit_id: int | None = None, task_id: int | None = None,
          at_risk: bool = False, limit: int = dashboard_service.ITEM_LIMIT) -> pd.DataFrame:
    url = _url()
    return _items(url, filters, today, unit_id, task_id, at_risk, limit, version(url, (filters.plan_id,)))


def count(filters: Filters, today: dt.date, *, at_risk: bool = False) -> int:
    """How many items `items` would list without its limit."""
    url = _url()
    return _count(url, filters, today, at_risk, version(url, (filters.plan_id,)))


def compare(plan_ids: tuple[int, ...], today: dt.date) -> pd.DataFrame:
    """The plans side by side: recomputed when any of them (or the catalog) changes."""
    url = _url()
    return _compare(url, plan_ids, today, version(url, plan_ids))


def options(plan_id: int, unit_kind) -> dashboard_filters.FilterOptions:
    url = _url()
    return _options(url, plan_id, unit_kind, version(url, (plan_id,)))


def reporting() -> settings_service.Reporting:
    """The office's reporting-period rule (a setting: it follows the catalog's version)."""
    url = _url()
    return _reporting(url, version(url))


def plan_choices() -> list[tuple[int, int, str]]:
    """Every plan (id, year, label): it reads only the plans' rows, so it follows the catalog's version (a new
    plan, by rollover or the office, is a new plan id)."""
    url = _url()
    return _plan_choices(url, version(url))
