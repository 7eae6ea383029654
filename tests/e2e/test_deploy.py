"""Two app processes on one PostgreSQL database behind nginx, with the files docs/deploy.md installs.

nginx runs deploy/nginx/tracker.conf itself, on loopback ports with a throwaway self-signed
certificate: a person signs in over HTTPS, the process serving them is stopped, and after the
reconnect they keep working on the other one, still signed in.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import pg
from tests.e2e.conftest import _free_port, screenshot, sign_in, wait_for_app
from tests.item_factories import make_item
from tests.system_tools import missing
from tracker import nginx_site
from tracker.db import make_engine, session_scope
from tracker.models import Role, Status, UserSession, WorkItem
from tracker.services.users import create_user
from tracker.ui.cookie import COOKIE_NAME

pytestmark = pytest.mark.e2e

SPOOFED = "203.0.113.9"  # an address the browser claims to come from (the sign-in throttle's key)
WAIT = 60_000  # ms: a reconnect, then a first run on a fresh process of a busy machine


@pytest.fixture
def nginx_path() -> str:
    """nginx from Debian's package; in CI its absence fails the test (never a skip)."""
    path = nginx_site.nginx_binary()
    if path:
        return path
    missing("nginx not found (apt-get install nginx)")


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database (TRACKER_TEST_POSTGRES_URL's server), dropped afterwards."""
    admin = pg.postgres_admin_url()  # raises under CI=true when unset
    if not admin:
        missing(f"{pg.ENV_VAR} is not set: the two-process setup needs PostgreSQL")
    name = f"deploy_{os.getpid()}_{int(time.time() * 1000) % 1_000_000}"
    pg.create_database(admin, name)
    yield pg.database_url(admin, name)
    pg.drop_database(admin, name)


_LOG_LINE = re.compile(r"^(?P<request>\S+) (?P<upstreams>.+) (?P<status>\d{3}) \[(?P<route>[^\]]*)\] \[(?P<claimed>[^\]]*)\]$")


def _answers(access_log: Path) -> list[tuple[str, int, str]]:
    """(request, app port that answered, status) per line of the test's nginx log."""
    rows = []
    for line in access_log.read_text().splitlines():
        if match := _LOG_LINE.match(line):
            # With a retry nginx logs every upstream it tried ("a, b"): the last one answered.
            last = match["upstreams"].split(",")[-1].strip()
            if last != "-":
                rows.append((match["request"], int(last.rsplit(":", 1)[1]), match["status"]))
    return rows


def _serving_port(page: Page, access_log: Path) -> int:
    """The app port this browser is routed to: a request with its cookies, as nginx logged it."""
    marker = f"/_stcore/health?probe={time.monotonic_ns()}"
    assert page.evaluate("url => fetch(url).then(r => r.status)", marker) == 200
    for _ in range(50):
        ports = [port for request, port, _ in _answers(access_log) if request == marker]
        if ports:
            return ports[-1]
        time.sleep(0.1)
    pytest.fail(f"nginx did not log {marker}", pytrace=False)


def _wait_for_reconnect(access_log: Path, port: int, timeout: float = 60.0) -> None:
    """Wait until the page, its process gone, gets its configuration from the other one (the reconnect)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ("/_stcore/host-config", port, "200") in _answers(access_log):
            return
        time.sleep(0.2)
    pytest.fail(f"the page did not reconnect to the process on port {port}", pytrace=False)


def test_two_processes_behind_nginx_one_stops_and_the_person_keeps_working_signed_in(
        app_server, browser, nginx_path, postgres_url, tmp_path):
    env = {"TRACKER_DATABASE_URL": postgres_url, "TRACKER_TODAY": "2024-08-01",
           "TRACKER_UPLOAD_DIR": str(tmp_path / "uploads")}
    first = app_server(env=env)  # runs `tracker init` on the shared database
    engine = make_engine(postgres_url)
    with session_scope(engine) as s:
        create_user(s, username="truong.tcbc", password="mat-khau-don-vi", role=Role.UNIT_HEAD,
                    unit_code="VU-TCBC")
        item_id = make_item(s, unit_code="VU-TCBC", title="Thông cáo báo chí tháng 8",
                            status=Status.IN_PROGRESS, progress=40).id
    second = app_server(env=env)
    servers = {int(first.url.rsplit(":", 1)[1]): first, int(second.url.rsplit(":", 1)[1]): second}

    workdir = tmp_path / "nginx"
    workdir.mkdir()
    http_port, https_port = _free_port(), _free_port()
    cert, key = nginx_site.self_signed(workdir)
    proxy = nginx_site.start(nginx_path, workdir,
                             nginx_site.site_config(tuple(servers), http_port, https_port, cert, key))
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN",
                                  ignore_https_errors=True,  # the test's self-signed certificate
                                  extra_http_headers={"X-Forwarded-For": SPOOFED})
    try:
        if not nginx_site.wait_for_port(https_port):
            pytest.fail(f"nginx did not listen on {https_port}", pytrace=False)
        # Plain HTTP only redirects to HTTPS.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(f"http://127.0.0.1:{http_port}/viec-cua-toi", timeout=10)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"] == "https://127.0.0.1/viec-cua-toi"

        address = f"https://127.0.0.1:{https_port}"
        page = context.new_page()
        page.goto(f"{address}/viec-cua-toi")
        wait_for_app(page, timeout=WAIT)
        sign_in(page, "truong.tcbc", "mat-khau-don-vi")
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=WAIT)
        for _ in range(50):  # the cookie is written just after the run
            session_cookie = next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)
            if session_cookie:
                break
            page.wait_for_timeout(200)
        assert session_cookie and session_cookie["secure"] and session_cookie["sameSite"] == "Lax"
        # The browser's claimed address reached nginx and went no further: the session records none.
        assert any(f"[{SPOOFED}]" in line for line in (workdir / "access.log").read_text().splitlines())
        with session_scope(engine) as s:
            clients = s.scalars(select(UserSession.client)).all()
        assert len(clients) == 1 and SPOOFED not in clients[0]
        serving = _serving_port(page, workdir / "access.log")
        assert _serving_port(page, workdir / "access.log") == serving  # sticky

        servers[serving].stop()
        survivor = next(port for port in servers if port != serving)
        _wait_for_reconnect(workdir / "access.log", survivor)
        wait_for_app(page, timeout=WAIT, settle_ms=1000)
        assert _serving_port(page, workdir / "access.log") == survivor
        expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=WAIT)
        expect(page.get_by_text("Page not found")).to_have_count(0)

        # Keeps working: another page, then a progress report written by the surviving process.
        page.get_by_role("link", name="Bảng Kanban").click()
        wait_for_app(page, timeout=WAIT, settle_ms=500)
        card = page.locator("[data-testid='kanban-card']", has_text="Thông cáo báo chí tháng 8")
        expect(card).to_be_visible(timeout=WAIT)
        card.locator(".kb-title").click()
        wait_for_app(page, timeout=WAIT, settle_ms=500)
        dialog = page.get_by_role("dialog")
        dialog.get_by_label("Tiến độ (%)").fill("70")
        dialog.get_by_role("button", name="Gửi báo cáo").click()
        wait_for_app(page, timeout=WAIT, settle_ms=500)
        for _ in range(50):
            with session_scope(engine) as s:
                if s.get(WorkItem, item_id).progress == 70:
                    break
            page.wait_for_timeout(200)
        with session_scope(engine) as s:
            assert s.get(WorkItem, item_id).progress == 70
        screenshot(page, "deploy-after-failover.png")
        assert re.search(r"/bang-kanban", page.url)
    finally:
        context.close()
        proxy.terminate()
        proxy.wait(timeout=10)
        engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
