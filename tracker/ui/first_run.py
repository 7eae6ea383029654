"""Navigation that also holds on a fresh process's first run (a link opened before anyone else).

Streamlit runs the first script run of a process through its legacy navigation of the `pages/`
folder whenever that folder sits beside app.py, until app.py's `st.navigation` has run once
(PagesManager.uses_pages_directory). That navigation knows only the file names (board,
dashboard...), so a link to /tong-quan gets Streamlit's English "Page not found" box before app.py
even starts; app.py's navigation then opens the right page, address kept, under the box. Here, on
that run only and only when the page the address names was found, a tiny inline module closes the
box. (Renaming `pages/` removes the legacy run altogether: see docs/deploy.md.)
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

_CLOSER = st.components.v2.component(
    "tracker_first_run", html="<span></span>",
    js=(Path(__file__).with_name("browser_assets") / "first_run.js").read_text(encoding="utf-8"))


def _legacy_run() -> bool:
    """True while this process has not yet run app.py's st.navigation (so this run went through pages/)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy navigation
        return False
    return bool(getattr(PagesManager, "uses_pages_directory", False))


def _requested_path() -> str:
    """The page part of the address this browser opened ('' for the root), or None when unknown."""
    try:
        url = st.context.url
    except Exception:  # AppTest and bare runs have no request
        return ""
    return urlsplit(url).path.strip("/").rsplit("/", 1)[-1] if isinstance(url, str) else ""


def run(pages, *, before=None) -> None:
    """st.navigation(pages).run(), closing the legacy run's "Page not found" box when the page exists.

    `before` draws what needs the navigation in place but comes before the page (the sidebar's search box
    switches pages)."""
    legacy = _legacy_run()
    page = st.navigation(pages)
    if legacy and page.url_path and page.url_path == _requested_path():
        with st.sidebar:
            _CLOSER(key="tracker_first_run", data={})
    if before is not None:
        before()
    page.run()
