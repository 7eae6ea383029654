"""The sidebar's search box: from any page, an item by its number or words of its title (case and accents
ignored) — it opens "Tra cứu công việc" with the words in the address (?q=), so the result is also a link."""

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
