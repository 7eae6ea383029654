"""The session cookie: read from the request (st.context.cookies), written by a tiny inline component.

Streamlit cannot set a cookie from Python, so a Components v2 module (inline, no iframe, no
CDN) writes `document.cookie`. A cookie written from JavaScript cannot be HttpOnly: see
docs/security.md for what limits the harm if a script ever read it. SameSite=Lax always;
Secure whenever the page is served over HTTPS.
"""

from __future__ import annotations

import streamlit as st

COOKIE_NAME = "tracker_session"
_PENDING = "auth_cookie_pending"
_JS = """
export default function (component) {
  const { data } = component;
  if (!data || data.name !== "%s") return;
  const value = typeof data.value === "string" && /^[A-Za-z0-9_-]*$/.test(data.value) ? data.value : "";
  const parts = [data.name + "=" + value, "Path=/", "SameSite=Lax", "Max-Age=" + (value ? data.max_age : 0)];
  if (window.location.protocol === "https:") parts.push("Secure");
  document.cookie = parts.join("; ");
}
""" % COOKIE_NAME
_COMPONENT = st.components.v2.component("tracker_session_cookie", html="<span></span>", js=_JS)


def read() -> str | None:
    """The session token this browser sent when it opened the connection, or None."""
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # AppTest and bare runs have no request
        return None
    return value if isinstance(value, str) and value else None


def set_later(token: str, *, max_age_seconds: int) -> None:
    """Write the cookie at the end of this run (see flush)."""
    st.session_state[_PENDING] = {"value": token, "max_age": int(max_age_seconds)}


def clear_later() -> None:
    """Remove the cookie at the end of this run (see flush)."""
    st.session_state[_PENDING] = {"value": "", "max_age": 0}


def flush() -> None:
    """Draw the writer for a pending cookie change, once (call on every full run, signed in or out)."""
    pending = st.session_state.pop(_PENDING, None)
    if pending is not None:
        with st.sidebar:
            _COMPONENT(key=f"session_cookie_{id(pending)}", data={"name": COOKIE_NAME, **pending})
