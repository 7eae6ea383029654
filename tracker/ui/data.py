"""Cached catalog reads for pages: keyed by plain arguments (database URL first), cleared after writes.

The dashboard's figures are cached elsewhere (tracker/ui/dashboard_data.py), keyed by the data's version:
a write does not clear them.
"""

from __future__ import annotations

import streamlit as st

from tracker.config import database_url
from tracker.db import session_scope
from tracker.services import demo as demo_service
from tracker.services import plans as plan_service
from tracker.ui.engine import engine_for

CATALOG_TTL = 600
_CATALOG_READS: list = []


def catalog_read(ttl: int = CATALOG_TTL):
    """st.cache_data for a small catalog read (plans, tasks, units, a form's choices): `clear_after_write`
    clears it in this process; elsewhere it is at most `ttl` seconds old."""
    def wrap(fn):
        cached = st.cache_data(ttl=ttl, show_spinner=False)(fn)
        _CATALOG_READS.append(cached)
        return cached
    return wrap


def _url() -> str:
    return database_url(st.secrets)


@catalog_read()
def _plans(url: str) -> list[plan_service.PlanInfo]:
    with session_scope(engine_for(url)) as session:
        return plan_service.list_plans(session)


@catalog_read()
def _tasks(url: str, plan_id: int) -> list[plan_service.TaskInfo]:
    with session_scope(engine_for(url)) as session:
        return plan_service.list_tasks(session, plan_id=plan_id)


@catalog_read(ttl=60)
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
    """Call after any write: clears this process's cached catalog reads (every `catalog_read`: the plans, a
    plan's tasks, the units' names and end dates, the work-item form's choices, the demo's today), which a
    write may have changed. The dashboard's figures stay: their cache keys carry the version of the data
    they read, so they are recomputed at the next run only if this write changed their plan (or the catalog).
    """
    for read in _CATALOG_READS:
        read.clear()
