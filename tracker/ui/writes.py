"""One user action, one transaction: run a service call, show every refusal, refresh cached reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from tracker.db import session_scope
from tracker.errors import TrackerError, ValidationFailed
from tracker.ui import data
from tracker.ui.engine import get_engine
from tracker.ui.text import md


def attempt(action: Callable[[Session], Any]) -> tuple[bool, Any]:
    """(True, result) after a committed write (caches cleared); (False, None) once the problems are shown."""
    try:
        with session_scope(get_engine()) as session:
            result = action(session)
    except TrackerError as exc:
        problems = exc.problems if isinstance(exc, ValidationFailed) else [str(exc)]
        for problem in problems:
            st.error(md(problem))
        return False, None
    data.clear_after_write()
    return True, result
