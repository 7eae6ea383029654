"""Two small fixes in the browser, mounted once per run by app.py before any page draws.

- Streamlit's own English texts in Vietnamese (the table in tracker/ui/vietnamese.py).
- The Back button: a page's first run writing its filters into the address does not add a
  history entry of its own (browser_assets/history.js says why).

Both are Components API v2 modules: inline, no iframe, nothing fetched; they show nothing.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from tracker.ui.vietnamese import PATTERNS, STRINGS

_ASSETS = Path(__file__).with_name("browser_assets")
_VIETNAMESE = st.components.v2.component(
    "tracker_vietnamese", html="<span></span>", js=(_ASSETS / "vietnamese.js").read_text(encoding="utf-8"))
_HISTORY = st.components.v2.component(
    "tracker_history", html="<span></span>", js=(_ASSETS / "history.js").read_text(encoding="utf-8"))


def install() -> None:
    """Mount both (they hide their own place on the page)."""
    _VIETNAMESE(key="tracker_vietnamese", data={"strings": STRINGS, "patterns": PATTERNS})
    _HISTORY(key="tracker_history", data={})
