"""Browser tests: the real app under `streamlit run`, driven through Debian's Chromium.

Modelled on Streamlit's own e2e_playwright/conftest.py: each test starts the app headless on
a free loopback port with its own SQLite database in tmp_path, and drives it with Python
Playwright. Playwright's downloaded browsers are never used (no internet on the target
network); the system Chromium is. Every request a page makes to a host other than loopback
is aborted and recorded in `outside_requests`: the app must work on a closed network.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from tests.system_tools import missing

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
STARTUP_TIMEOUT = 60.0
# CI shares two cores between a PostgreSQL worker and a browser worker: what a person would see
# may take longer than Playwright's 5 s default there. A check that passes returns at once.
expect.set_options(timeout=15_000)

# (tracker CLI arguments, text fed to its stdin or None), e.g. (["user", "add", "admin"], "pw\npw\n")
SetupStep = tuple[Sequence[str], str | None]


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in Debian's Chromium through Playwright")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (for failure screenshots) and attach server logs."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    if report.failed:
        # A server that never became ready already put its log in the failure message.
        for server in (s for s in getattr(item, "_app_servers", ()) if s.ready):
            report.sections.append((f"streamlit server log ({server.url})", server.log_tail()))
    return report


@dataclass
class AppServer:
    """A running `streamlit run` of the app, on its own database."""

    url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    ready: bool = False

    def log_tail(self, chars: int = 20_000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no server log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loopback requests must not be sent through an HTTP proxy a CI machine might define.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _healthy(url: str) -> bool:
    try:
        with _direct.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def _run_setup(argv: Sequence[str], stdin: str | None, env: Mapping[str, str], log: Path) -> None:
    cmd = [sys.executable, "-m", "tracker", *argv]
    # Without input, stdin is closed: a step that prompts fails at once instead of hanging.
    feed = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
    result = subprocess.run(cmd, **feed, env=dict(env), cwd=REPO, capture_output=True, text=True, timeout=180)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"$ {' '.join(cmd)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        pytest.fail(
            f"setup step {' '.join(argv)!r} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}",
            pytrace=False,
        )


@pytest.fixture
def app_server(request, tmp_path) -> Iterator:
    """Factory: app_server(setup=[...]) -> AppServer on a fresh, initialised SQLite database.

    Runs `python -m tracker init`, then each setup step (tracker CLI arguments plus optional
    stdin text), then `streamlit run app.py` on a free port, and waits for /_stcore/health.
    `script` runs another Streamlit script instead of app.py; `env` adds variables. Every server
    is terminated after the test; a failing test's report includes the server logs.
    """
    servers: list[AppServer] = []
    request.node._app_servers = servers
    counter = itertools.count()

    def start(
        setup: Sequence[SetupStep] = (),
        *,
        script: str | os.PathLike = "app.py",
        env: Mapping[str, str] | None = None,
    ) -> AppServer:
        workdir = tmp_path / f"app-{next(counter)}"
        workdir.mkdir()
        log_path = workdir / "streamlit.log"
        run_env = {
            **os.environ,
            "TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'e2e.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
            "PYTHONUTF8": "1",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            **(env or {}),
        }
        for argv, stdin in [(["init"], None), *setup]:
            _run_setup(argv, stdin, run_env, log_path)

        for _attempt in range(3):
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            cmd = [
                sys.executable, "-m", "streamlit", "run", str(script),
                "--server.headless", "true",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            with log_path.open("ab") as log:
                log_start = log.tell()
                log.write(f"$ {' '.join(cmd)}\n".encode())
                log.flush()
                process = subprocess.Popen(
                    cmd, cwd=REPO, env=run_env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
                )
            server = AppServer(url=url, env=run_env, log_path=log_path, process=process)
            servers.append(server)
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline and process.poll() is None:
                if _healthy(url):
                    server.ready = True
                    return server
                time.sleep(0.2)
            exit_code = process.poll()
            server.stop()
            this_run = log_path.read_bytes()[log_start:].decode("utf-8", "replace")
            if not re.search(r"Port \d+ is (already in use|not available)", this_run):
                break  # only a port taken since _free_port() is worth another try
        reason = f"exited with {exit_code}" if exit_code is not None else "timed out"
        pytest.fail(
            f"streamlit {reason} before {url}/_stcore/health answered ok\n"
            f"--- server log\n{server.log_tail()}",
            pytrace=False,
        )

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of the system Chromium (TRACKER_CHROMIUM or /usr/bin/chromium).

    Fails in CI when missing (a browser test must never be skipped there); skips elsewhere.
    """
    path = os.environ.get("TRACKER_CHROMIUM") or DEFAULT_CHROMIUM
    if os.access(path, os.X_OK):
        return path
    missing(f"Chromium not found at {path} (apt-get install chromium, or set TRACKER_CHROMIUM)")


@pytest.fixture(scope="session")
def browser(chromium_path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def outside_requests() -> list[str]:
    """URLs the page tried to fetch from anywhere but loopback (each one was aborted)."""
    return []


@pytest.fixture
def page(request, browser, outside_requests) -> Iterator[Page]:
    """A fresh context and page (1400x1000, vi-VN) that cannot reach beyond loopback."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")

    def guard(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK_HOSTS:
            outside_requests.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        screenshot(page, f"FAILED-{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png")
    context.close()


def wait_for_app(page: Page, *, timeout: float = 30_000, settle_ms: int = 200) -> None:
    """Wait until the app is connected and its script has finished running, then settle briefly."""
    page.wait_for_selector("[data-testid='stApp']", state="attached", timeout=timeout)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached", timeout=timeout
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached", timeout=timeout
    )
    # Right after a page load the app is connected and "not running" before its first run has begun:
    # wait for that run to have drawn something on the page.
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stElementContainer']", state="attached",
                           timeout=timeout)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached", timeout=timeout
    )
    if settle_ms:
        page.wait_for_timeout(settle_ms)


def open_tab(page: Page, name: str | re.Pattern, *, within: Page | Locator | None = None) -> Locator:
    """Click a tab and wait until it is the one shown and the rerun it starts has finished.

    Tabs that rerun the page (on_change="rerun") can be switched back by a rerun still under way
    when the click lands (a loaded machine): click again until the tab stays selected."""
    tab = (within or page).get_by_role("tab", name=name)
    for _ in range(3):
        tab.click()
        expect(tab).to_have_attribute("aria-selected", "true")
        wait_for_app(page)
        if tab.get_attribute("aria-selected") == "true":
            break
    expect(tab).to_have_attribute("aria-selected", "true")
    return tab


def unfold(page: Page, label: str) -> Locator:
    """Open a fold (st.expander) by its label and wait until it has finished opening: a click on a control
    inside it while it still grows can miss on a loaded machine."""
    fold = page.locator("[data-testid='stExpander']").filter(has_text=label).first
    fold.locator("summary").click()
    last = None
    for _ in range(100):  # the same height twice in a row: the opening is over
        box = fold.bounding_box()
        height = box["height"] if box else None
        if height is not None and height == last:
            break
        last = height
        page.wait_for_timeout(100)
    wait_for_app(page)
    return fold


def choose(page: Page, label: str, option: str, *, timeout: float = 30_000, exact: bool = False,
           within: Page | Locator | None = None) -> None:
    """Pick the option whose name holds `option` in the select box labelled `label`, again if a rerun
    closed its menu or undid the choice, and wait for the run the choice starts."""
    box = (within or page).get_by_label(label, exact=exact).first
    item = page.get_by_role("option", name=option).first
    chosen = re.compile(re.escape(option))
    for _ in range(3):
        box.click()
        try:
            expect(item).to_be_visible(timeout=5_000)
            item.click()
        except AssertionError:
            wait_for_app(page, timeout=timeout)
            continue
        wait_for_app(page, timeout=timeout)
        try:
            expect(box).to_have_value(chosen, timeout=2_000)
            return
        except AssertionError:
            continue
    expect(box).to_have_value(chosen)


def sign_in(page: Page, username: str, password: str, *, timeout: float = 60_000) -> None:
    """Fill the sign-in form (Tên đăng nhập, Mật khẩu), press Đăng nhập, wait for the signed-in page.

    Waits until the form is gone (or a sign-in error is shown), not just for one idle moment: on a
    loaded machine the click's run may not have started when the app first looks idle."""
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_label("Tên đăng nhập"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(username)
    page.get_by_role("button", name="Đăng nhập").click()
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        wait_for_app(page, timeout=timeout)
        if form.count() == 0 or page.locator("[data-testid='stAlertContentError']").count():
            break
        page.wait_for_timeout(250)
    wait_for_app(page, timeout=timeout)


def screenshot(page: Page, name: str, *, target: Locator | None = None) -> Path:
    """Save a PNG of the page (or of `target`) as test-artifacts/<name> (gitignored); return its path.

    Streamlit scrolls an inner container, not the document, so a page shot shows the viewport:
    scroll first, or pass the element of interest as `target`.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / (name if name.endswith(".png") else f"{name}.png")
    (target or page).screenshot(path=str(path))
    return path
