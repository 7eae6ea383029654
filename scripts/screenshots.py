"""README screenshots from demo data, in Debian's Chromium: board, Tổng quan, an item, Việc của tôi.

    .venv/bin/python scripts/screenshots.py [--out docs/img]

Builds a throwaway SQLite database (init, 400 demo items, three accounts), starts the app on a free
loopback port, signs in as each role through Playwright and saves one PNG per screen. Run it again
after a change to the screens, so the README shows the app as it is. Nothing is fetched from the
internet: the browser is the system Chromium (TRACKER_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "anh-chup-man-hinh"
ACCOUNTS = [("vanphong", "admin", []), ("lanhdao", "leader", []), ("truongvu", "unit_head", ["--unit", "VU-CCHC"])]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _tracker(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "tracker", *args], cwd=ROOT, env=env, input=stdin, text=True,
                   check=True, stdout=subprocess.DEVNULL, stdin=None if stdin is not None else subprocess.DEVNULL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(page: Page, settle_ms: int = 1500) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached",
                           timeout=60_000)
    page.wait_for_timeout(settle_ms)


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    _wait(page, 500)
    page.get_by_role("textbox", name="Tên đăng nhập").fill(username)
    page.get_by_role("textbox", name="Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    _wait(page)


def _open(page: Page, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    _wait(page)


def _own_item(database_url: str, unit_code: str) -> int:
    """An open item of the unit head's own unit (their item page shows the progress form)."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text

    from tracker.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        item_id = conn.execute(text(
            "SELECT w.id FROM work_items w JOIN units u ON u.id = w.lead_unit_id WHERE u.code = :unit "
            "AND w.status = 'in_progress' AND w.deleted_at IS NULL ORDER BY w.due_date, w.id LIMIT 1"),
            {"unit": unit_code}).scalar_one()
    engine.dispose()
    return item_id


def shoot(url: str, out: Path, chromium: str, item_id: int) -> list[Path]:
    shots = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        for username, screens in [("vanphong", ["board"]), ("lanhdao", ["dashboard"]),
                                  ("truongvu", ["my_work", "item"])]:
            page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN").new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                       else route.abort("blockedbyclient"))
            _sign_in(page, url, username)
            for screen in screens:
                if screen == "board":
                    _open(page, "Bảng Kanban")
                elif screen == "dashboard":
                    _open(page, "Tổng quan")
                elif screen == "my_work":
                    _open(page, "Việc của tôi")
                else:
                    page.goto(f"{url}/cong-viec?id={item_id}")  # a link to the item, as in a reminder mail
                    _wait(page)
                path = out / f"{screen.replace('_', '-')}.png"
                page.screenshot(path=str(path))
                shots.append(path)
            page.context.close()
        browser.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--items", type=int, default=400)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("TRACKER_CHROMIUM") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{Path(tmp) / 'demo.sqlite3'}", "PYTHONUTF8": "1",
               "TRACKER_UPLOAD_DIR": str(Path(tmp) / "uploads")}
        env.pop("TRACKER_TODAY", None)  # the app takes the demo's last day as today
        _tracker(env, "init")
        _tracker(env, "demo", "--items", str(args.items), "--seed", "1")
        for username, role, extra in ACCOUNTS:
            _tracker(env, "user", "add", username, "--role", role, *extra, stdin=f"{PASSWORD}\n")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                   "--server.port", str(port), "--server.address", "127.0.0.1"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                            f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            item_id = _own_item(env["TRACKER_DATABASE_URL"], "VU-CCHC")
            for path in shoot(url, args.out, chromium, item_id):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
