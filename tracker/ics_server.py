"""`python -m tracker ics-serve`: the calendar feeds (GET /lich/<token>.ics) for Outlook, on the ministry's network.

Why a small server of its own: Outlook subscribes to a plain address and fetches it without a browser
session, which a Streamlit page cannot answer (a page needs the websocket; a download button needs a
signed-in browser), and Streamlit 1.67 has no public way to add a route (patching its Tornado app
reaches into internals that change between releases). This server answers one kind of request, reads
only, and logs no token. It runs beside the app on an address of the internal network (TRACKER_ICS_URL
is what the app shows people).
"""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.engine import Engine

from tracker import clock, config
from tracker.db import session_scope
from tracker.errors import NotFound
from tracker.services import calendar_feed

PATH = re.compile(r"^/lich/([A-Za-z0-9_-]{20,100})\.ics$")
NOT_FOUND = "Không tìm thấy lịch: địa chỉ sai, đã thu hồi, hoặc tài khoản đã bị khóa.\n"


def make_server(engine: Engine, host: str, port: int) -> ThreadingHTTPServer:
    """A server answering feed requests from `engine`'s database (call serve_forever on it)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "tracker-ics"
        sys_version = ""

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            match = PATH.match(self.path.split("?", 1)[0])
            body, status, kind = NOT_FOUND.encode("utf-8"), 404, "text/plain; charset=utf-8"
            if match:
                item_url = f"{config.app_url()}/cong-viec" if config.app_url() else None
                try:
                    with session_scope(engine) as session:
                        body = calendar_feed.feed(session, token=match.group(1), today=clock.today(),
                                                  item_url=item_url)
                    status, kind = 200, "text/calendar; charset=utf-8"
                except NotFound:
                    pass
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            """The request line carries the secret token: log the status alone."""
            status = args[1] if len(args) > 1 else ""
            print(f"{self.address_string()} lich {status}", flush=True)

    return ThreadingHTTPServer((host, port), Handler)
