"""The app's engine (one per process) and a guard that the database is ready."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tracker.config import database_url
from tracker.db import make_engine
from tracker.migrate import current_revision, head_revision


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """One engine (and its connection pool) per database URL for the whole server process."""
    return engine_for(database_url(st.secrets))


def require_ready_database() -> Engine:
    """Stop the page with a clear Vietnamese message if the database is missing or outdated."""
    engine = get_engine()
    try:
        current = current_revision(engine)
    except OperationalError:
        st.error("Không kết nối được cơ sở dữ liệu. Vui lòng kiểm tra cấu hình TRACKER_DATABASE_URL "
                 "hoặc liên hệ quản trị hệ thống.")
        st.stop()
    if current != head_revision(engine):
        st.error("Cơ sở dữ liệu chưa được khởi tạo hoặc chưa nâng cấp lên phiên bản mới nhất. "
                 "Quản trị hệ thống hãy chạy lệnh: `python -m tracker init`.")
        st.stop()
    return engine
