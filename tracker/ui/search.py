"""Search boxes. The sidebar's: from any page, an item by its number or words of its title (case and accents
ignored) — it opens "Tra cứu công việc" with the words in the address (?q=), so the result is also a link.
A page's own box (`address_box`) keeps its words in the address too: a link brings them, a new link
replaces what the box held."""

from __future__ import annotations

import streamlit as st

from tracker.limits import max_chars

_BOX = "sidebar_search"
_PENDING = "sidebar_search_pending"
PAGE = "pages/item_search.py"


def _submitted() -> None:
    st.session_state[_PENDING] = st.session_state.get(_BOX, "").strip()
    st.session_state[_BOX] = ""  # the box empties: the words are now in the search page's own box


def sidebar_box() -> None:
    st.sidebar.text_input("Tìm công việc", key=_BOX, on_change=_submitted, max_chars=max_chars("search"),
                          placeholder="Số hoặc tên, không cần dấu", icon=":material/search:")
    if words := st.session_state.pop(_PENDING, None):
        st.switch_page(PAGE, query_params={"q": words})


def address_box(label: str, key: str, *, placeholder: str | None = None) -> str:
    """A page's search box bound to ?q= (Tra cứu công việc, Thông báo, Kỳ báo cáo); returns its words."""
    linked = st.query_params.get("q", "")
    marker = f"{key}_linked"
    if linked != st.session_state.get(marker):
        st.session_state[marker] = linked
        st.session_state[key] = linked
    text = st.text_input(label, key=key, max_chars=max_chars("search"), placeholder=placeholder,
                         icon=":material/search:").strip()
    if text:
        st.query_params["q"] = text
        st.session_state[marker] = text
    elif "q" in st.query_params:
        del st.query_params["q"]
    return text
