"""Browser half of the benchmark: the board in Debian's Chromium, timed inside the page.

Figures, each the median of several runs: from navigation to the last card shown being visible
(performance.now() is measured from the navigation's start); from the drop of a dragged card to
the first frame showing it moved (the browser's optimistic move: gone from its column, the new
column's count one higher); and from the same drop to the move saved, i.e. the server's redraw
with the card in its new column and no longer "Đang lưu…" (kb-pending). Floors in the same run:
an empty Streamlit page to its first paint, one animation frame after a mouse release (no
server), and a click that only reruns the page.
Needs playwright (requirements-dev.txt) and Chromium (TRACKER_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# The component may live in a shadow root: find it once, then query inside it.
_ROOT = """const kbRoot = () => {
  if (window.__kb && window.__kb.isConnected) return window.__kb;
  const walk = (root) => {
    const hit = root.querySelector("[data-testid='kanban-board']");
    if (hit) return hit;
    for (const e of root.querySelectorAll("*")) if (e.shadowRoot) { const h = walk(e.shadowRoot); if (h) return h; }
    return null;
  };
  window.__kb = walk(document);
  return window.__kb;
};"""
_LAST_CARD_VISIBLE = """() => {""" + _ROOT + """
  const board = kbRoot();
  if (!board) return false;
  const cards = board.querySelectorAll("[data-testid='kanban-card']");
  if (!cards.length) return false;
  const r = cards[cards.length - 1].getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? performance.now() : false;
}"""
# From the drop, checked on every animation frame: `shown` when the card has left its old column
# and the new column's count has gone up (the browser's optimistic move), `saved` when moreover
# the card is in the new column and not pending: the server's redraw, with the move saved.
_RECORD_DROP = """([id, from, to, before]) => {""" + _ROOT + """
  const drag = window.__drag = {dropAt: 0, shown: 0, saved: 0};
  const check = () => {
    const board = kbRoot();
    const now = performance.now();
    if (board) {
      const still = board.querySelector(`[data-testid='kanban-cell'][data-status='${from}'] .kb-card[data-id='${id}']`);
      const there = board.querySelector(`[data-testid='kanban-cell'][data-status='${to}'] .kb-card[data-id='${id}']`);
      const count = board.querySelector(`[data-testid='kanban-column-head'][data-status='${to}'] .kb-count`);
      const n = count ? parseInt(count.textContent.replace(/[^0-9 ]/g, ""), 10) : NaN;
      const moved = !still && n === before + 1;
      if (moved && !drag.shown) drag.shown = now - drag.dropAt;
      if (moved && there && !there.classList.contains("kb-pending")) drag.saved = now - drag.dropAt;
    }
    if (!drag.saved) requestAnimationFrame(check);
  };
  document.addEventListener("drop", () => { drag.dropAt = performance.now(); requestAnimationFrame(check); },
                            {capture: true, once: true});
}"""
_DROP_TIMES = "() => window.__drag && window.__drag.saved ? [window.__drag.shown, window.__drag.saved] : false"
# Floor of the optimistic figure: a mouse release on a page that changes nothing, to its next frame.
_FRAME_AFTER_RELEASE = """() => { window.__frame = 0;
  document.addEventListener("mouseup", () => { const t = performance.now();
    requestAnimationFrame(() => { window.__frame = performance.now() - t; }); }, {capture: true, once: true}); }"""
_COUNT = """([status]) => {""" + _ROOT + """
  const count = kbRoot().querySelector(`[data-testid='kanban-column-head'][data-status='${status}'] .kb-count`);
  return parseInt(count.textContent.replace(/[^0-9 ]/g, ""), 10);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(script: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def _wait_idle(page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", state="attached",
                           timeout=120_000)


def measure(*, url: str, today: str, plan_id: int, username: str, password: str, repeat: int = 5) -> dict:
    """{'board', 'board_floor', 'drag', 'drag_frame_floor', 'drag_saved', 'drag_floor'} in seconds and
    {'cards': n} for the database at `url` ('drag' is the optimistic move, 'drag_saved' the server's)."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_TODAY": today, "PYTHONUTF8": "1"}
    empty = Path(tempfile.mkdtemp(prefix="bench-empty-")) / "empty.py"
    empty.write_text("import streamlit as st\nst.title('Trang trống')\nst.button('Chạy lại', key='again')\n"
                     "st.session_state.n = st.session_state.get('n', 0) + 1\n"
                     "st.markdown(f'Lần chạy số {st.session_state.n}')\n", encoding="utf-8")
    app, app_url = _serve(ROOT / "app.py", env)
    blank, blank_url = _serve(empty, env)
    out: dict = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"),
                                         headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(app_url)
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill(password)
            page.get_by_role("button", name="Đăng nhập").click()
            _wait_idle(page)
            # A reload starts a new Streamlit session (signed out): navigate inside the app instead,
            # from the sidebar, as a user does; the clock starts at the click.
            times = []
            for k in range(repeat + 1):
                page.get_by_role("link", name="Việc của tôi").click()
                _wait_idle(page)
                start = page.evaluate("() => { window.__kb = null; return performance.now(); }")
                page.get_by_role("link", name="Bảng Kanban").click()
                shown = page.wait_for_function(_LAST_CARD_VISIBLE, timeout=120_000, polling="raf").json_value()
                _wait_idle(page)
                if k:  # the first visit warms the server's caches of the catalog
                    times.append(shown - start)
            out["board"] = statistics.median(times) / 1000
            out["cards"] = page.locator("[data-testid='kanban-card']").count()

            drags, saves = [], []
            for k in range(repeat):
                frm, to = ("not_started", "in_progress") if k % 2 == 0 else ("in_progress", "not_started")
                card = page.locator(f"[data-testid='kanban-cell'][data-status='{frm}'] [data-testid='kanban-card']").first
                card_id = card.get_attribute("data-id")
                before = page.evaluate(_COUNT, [to])
                page.evaluate(_RECORD_DROP, [card_id, frm, to, before])
                card.scroll_into_view_if_needed()
                box = card.bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
                page.mouse.down()
                tbox = page.locator(f"[data-testid='kanban-cell'][data-status='{to}']").first.bounding_box()
                page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 20, steps=12)
                page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 30, steps=4)
                page.mouse.up()
                shown, saved = page.wait_for_function(_DROP_TIMES, timeout=60_000, polling="raf").json_value()
                drags.append(shown)
                saves.append(saved)
                _wait_idle(page)
            out["drag"] = statistics.median(drags) / 1000
            out["drag_saved"] = statistics.median(saves) / 1000

            floor, reruns = [], []
            for _ in range(repeat):
                page.goto(blank_url)
                floor.append(page.wait_for_function(
                    "() => document.querySelector('h1') ? performance.now() : false",
                    timeout=60_000, polling="raf").json_value())
            out["board_floor"] = statistics.median(floor) / 1000
            _wait_idle(page)
            page.wait_for_selector("text=Lần chạy số 1")
            frames = []
            for _ in range(repeat):
                page.evaluate(_FRAME_AFTER_RELEASE)
                box = page.locator("h1").first.bounding_box()
                page.mouse.click(box["x"] + 5, box["y"] + 5)
                frames.append(page.wait_for_function("() => window.__frame || false", timeout=10_000,
                                                     polling="raf").json_value())
            out["drag_frame_floor"] = statistics.median(frames) / 1000
            for k in range(repeat):
                start_ms = page.evaluate("() => performance.now()")
                page.get_by_role("button", name="Chạy lại").click()
                done_ms = page.wait_for_function(
                    f"() => document.body.innerText.includes('Lần chạy số {k + 2}') ? performance.now() : false",
                    timeout=30_000, polling="raf").json_value()
                reruns.append(done_ms - start_ms)
            out["drag_floor"] = statistics.median(reruns) / 1000
            browser.close()
    finally:
        for proc in (app, blank):
            proc.terminate()
            proc.wait(10)
    return out
