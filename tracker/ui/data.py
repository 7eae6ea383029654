"""Cached read models for pages: keyed by plain arguments (database URL first), cleared after writes."""

from __future__ import annotations

import streamlit as st

from tracker.config import database_url
from tracker.db import session_scope
from tracker.services import demo as demo_service
from tracker.services import plans as plan_service
from tracker.ui.engine import engine_for

CATALOG_TTL = 600


def _url() -> str:
    return database_url(st.secrets)


@st.cache_data(ttl=CATALOG_TTL, show_spinner=False)
def _plans(url: str) -> list[plan_service.PlanInfo]:
    with session_scope(engine_for(url)) as session:
        return plan_service.list_plans(session)


@st.cache_data(ttl=CATALOG_TTL, show_spinner=False)
def _tasks(url: str, plan_id: int) -> list[plan_service.TaskInfo]:
    with session_scope(engine_for(url)) as session:
        return plan_service.list_tasks(session, plan_id=plan_id)


@st.cache_data(ttl=60, show_spinner=False)
def _demo_today(url: str):
    with session_scope(engine_for(url)) as session:
        return demo_service.demo_today(session)


def demo_today():
    """The demo data's as-of date while this database holds demo items (the app's today), else None."""
    return _demo_today(_url())


def plans() -> list[plan_service.PlanInfo]:
    return _plans(_url())


def tasks(plan_id: int) -> list[plan_service.TaskInfo]:
    return _tasks(_url(), plan_id)


def clear_after_write() -> None:
    """Call after any write so every page reads fresh data."""
    st.cache_data.clear()
