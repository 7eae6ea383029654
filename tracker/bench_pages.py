"""Pages in Chromium, as a person waits for them: sign-in to Tổng quan drawn, a chart switch, Tổng quan
after a write, every other page from a sidebar click; bytes the server sent, and where the time went.

Timed inside the page (performance.now(), from the click): "drawn" is the expected title shown, the
script no longer running, and every plotly chart on the page with its SVG; the WebSocket is wrapped
before Streamlit loads (an init script) to count the bytes received and the time of the last message,
and a PerformanceObserver sums the main thread's long tasks (plotly's drawing, React's layout).
The floor, measured in the same run: the office's sign-in landing on Việc của tôi (a light page).
Needs playwright (requirements-dev.txt) and Chromium (TRACKER_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import re
import statistics

from tracker.bench_browser import CHROMIUM_ARGS, _serve, _wait_idle

# Before any page script: count what the server sends, and the main thread's long tasks.
_INIT = """(() => {
  const W = window.WebSocket;
  const ws = window.__ws = {bytes: 0, n: 0, last: 0, longTasks: 0};
  function Wrapped(...args) {
    const s = new W(...args);
    s.addEventListener("message", (e) => {
      const d = e.data;
      ws.bytes += d.byteLength !== undefined ? d.byteLength : (d.size !== undefined ? d.size : d.length);
      ws.n += 1;
      ws.last = performance.now();
    });
    return s;
  }
  Wrapped.prototype = W.prototype;
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Wrapped[k] = W[k];
  window.WebSocket = Wrapped;
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) ws.longTasks += e.duration; })
      .observe({type: "longtask", buffered: false});
  } catch (e) {}
})();"""
_START = """() => { const ws = window.__ws; ws.bytes = 0; ws.n = 0; ws.last = 0; ws.longTasks = 0;
  window.__firstChart = 0; window.__sawRun = false; window.__start = performance.now();
  window.__resources = performance.getEntriesByType("resource").length;
  const app = document.querySelector("[data-testid='stApp']");
  window.__obs && window.__obs.disconnect();
  window.__obs = new MutationObserver(() => {
    if (app.getAttribute("data-test-script-state") === "running") window.__sawRun = true; });
  window.__obs.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
  return window.__start; }"""
# Drawn: the title expected, a run seen since the click and finished, every chart with its SVG.
_DRAWN = """([title, charts, needRun]) => {
  const now = performance.now();
  const plots = [...document.querySelectorAll("[data-testid='stPlotlyChart']")];
  const drawn = plots.filter((p) => p.querySelector(".main-svg"));
  const shown = drawn.filter((p) => p.getBoundingClientRect().width > 0);
  if (drawn.length && !window.__firstChart) window.__firstChart = now;
  const app = document.querySelector("[data-testid='stApp']");
  if ((needRun && !window.__sawRun && !window.__ws.n) || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const h1 = document.querySelector("h1");
  if (!h1 || !h1.innerText.includes(title)) return false;
  if (shown.length < charts || drawn.length < plots.length) return false;
  if (document.querySelector("[data-testid='stSkeleton'], [data-testid='stSpinner']")) return false;
  const ws = window.__ws;
  const scripts = performance.getEntriesByType("resource").slice(window.__resources)
    .filter((e) => e.name.endsWith(".js"));
  return {done: now - window.__start, last: ws.last ? ws.last - window.__start : 0, bytes: ws.bytes,
          js: scripts.reduce((n, e) => n + e.encodedBodySize, 0), jsFiles: scripts.length, frames: ws.n, longTasks: ws.longTasks, firstChart: window.__firstChart ? window.__firstChart - window.__start : 0,
          charts: plots.length};
}"""

# The sign-in page itself, from the navigation: its form shown, and the scripts it loads (the preloaded
# components' included) all arrived.
_SIGN_IN_PAGE = """() => {
  const scripts = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".js"));
  return {done: performance.now(), last: Math.max(0, ...scripts.map((e) => e.responseEnd)),
          js: scripts.reduce((n, e) => n + e.encodedBodySize, 0), jsFiles: scripts.length};
}"""

# A page opened at its address in a new tab (a link a colleague sent), from the navigation: its title shown
# and its script finished (the person's cookie signs them in again).
_OPENED = """([title]) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute("data-test-script-state") !== "notRunning") return false;
  const h1 = document.querySelector("h1");
  if (!h1 || !h1.innerText.includes(title)) return false;
  if (document.querySelector("[data-testid='stSkeleton'], [data-testid='stSpinner']")) return false;
  const ws = window.__ws;
  const scripts = performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".js"));
  return {done: performance.now(), last: ws.last, bytes: ws.bytes, frames: ws.n, longTasks: ws.longTasks,
          js: scripts.reduce((n, e) => n + e.encodedBodySize, 0), jsFiles: scripts.length, firstChart: 0, charts: 0};
}"""

_STATE = """() => ({sawRun: window.__sawRun, h1: (document.querySelector("h1") || {}).innerText,
  state: document.querySelector("[data-testid='stApp']").getAttribute("data-test-script-state"),
  plots: [...document.querySelectorAll("[data-testid='stPlotlyChart']")].map(
    (p) => [!!p.querySelector(".main-svg"), p.getBoundingClientRect().width])})"""

OTHER_PAGES = ["Việc của tôi", "Thông báo", "Bảng Kanban", "Công việc", "Kỳ báo cáo", "Lịch", "Kế hoạch",
               "Tra cứu công việc"]
# Tổng quan's other tabs, after "Đơn vị" (the chart switch row), with the charts each draws; back to the first.
CHART_TABS = {"Bản đồ nhiệt": 1, "Tiến trình": 1, "Luồng tích lũy": 1, "Chỉ tiêu và kinh phí": 2, "So sánh năm": 1,
              "Nhiệm vụ": 1}
ITEM_PAGE = "Chi tiết công việc"  # reached by a link (Tổng quan's list of items needing attention), not the sidebar


def _timed(page, action, title: str, charts: int = 0, need_run: bool = True) -> dict:
    page.evaluate(_START)
    action()
    try:
        got = page.wait_for_function(_DRAWN, arg=[title, charts, need_run], timeout=120_000,
                                     polling="raf").json_value()
    except Exception as exc:
        state = page.evaluate(_STATE)
        raise RuntimeError(f"{title or page.url} not drawn: {state}") from exc
    _wait_idle(page)
    return got


def _context(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(_INIT)
    return context


def _sign_in(context, url: str, username: str, password: str, title: str, charts: int,
             form: list | None = None) -> tuple[object, dict]:
    """A new tab, signed out (no cookie), the browser's cache warm from the earlier runs (as on a
    leader's own computer); returns the page and the timing from the click on "Đăng nhập".
    `form`, if given, receives the sign-in page's own timing (_SIGN_IN_PAGE)."""
    context.clear_cookies()
    page = context.new_page()
    page.goto(url)
    page.get_by_role("button", name="Đăng nhập").wait_for()
    shown = page.evaluate("() => performance.now()")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    _wait_idle(page)
    page.wait_for_load_state("networkidle")  # the sign-in page loaded, as after the seconds a person types
    if form is not None:
        form.append({**page.evaluate(_SIGN_IN_PAGE), "done": shown})
    got = _timed(page, lambda: page.get_by_role("button", name="Đăng nhập").click(), title, charts)
    return page, got


def _sidebar(page, name: str):
    # "Thông báo (3)" while three are unread.
    label = re.compile(rf"^{re.escape(name)}( \(\d[\d.]*\))?$")
    return lambda: page.get_by_test_id("stSidebar").get_by_role("link", name=label).click()


def _item_link(page):
    """The first item listed on Tổng quan ("#12 · title"): the link, and the item's title (its page's heading)."""
    link = page.get_by_test_id("stMain").locator("a[href*='cong-viec?id=']").first
    link.wait_for()
    return link, link.inner_text().split(" · ", 1)[1].strip()


def _median(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def _write(page) -> None:
    """The office moves one card on the board and back (two writes, each clearing the cached figures)."""
    from tracker.bench_browser import _COUNT, _DROP_TIMES, _RECORD_DROP

    for frm, to in (("not_started", "in_progress"), ("in_progress", "not_started")):
        card = page.locator(f"[data-testid='kanban-cell'][data-status='{frm}'] [data-testid='kanban-card']").first
        card_id = card.get_attribute("data-id")
        page.evaluate(_RECORD_DROP, [card_id, frm, to, page.evaluate(_COUNT, [to])])
        card.scroll_into_view_if_needed()
        box = card.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 12)
        page.mouse.down()
        tbox = page.locator(f"[data-testid='kanban-cell'][data-status='{to}']").first.bounding_box()
        page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 20, steps=12)
        page.mouse.move(tbox["x"] + tbox["width"] / 2, tbox["y"] + 30, steps=4)
        page.mouse.up()
        page.wait_for_function(_DROP_TIMES, timeout=60_000, polling="raf")
        _wait_idle(page)


def measure(*, url: str, today: str, office: tuple[str, str], leader: tuple[str, str], repeat: int = 3,
            switch_to: str = "Đơn vị") -> dict[str, dict]:
    """{measurement name: {'done', 'last', 'bytes', 'frames', 'longTasks', 'firstChart', 'charts', 'js', 'jsFiles'}},
    medians of `repeat` runs; times in ms from the click ('js': bytes of JavaScript fetched after it).
    'sign_in_page': {'done' (form shown), 'last' (its last script arrived), 'js', 'jsFiles'} from the navigation.
    The first run of each is a warm-up (server caches)."""
    from playwright.sync_api import sync_playwright

    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_TODAY": today, "PYTHONUTF8": "1"}
    app, app_url = _serve(__import__("pathlib").Path(__file__).resolve().parent.parent / "app.py", env)
    out: dict[str, dict] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"),
                                         headless=True, args=CHROMIUM_ARGS)
            runs: dict[str, list[dict]] = {}
            office_ctx, leader_ctx = _context(browser), _context(browser)
            for k in range(repeat + 1):  # the first run warms the server's caches and the browser's
                page, light = _sign_in(office_ctx, app_url, *office, "Việc của tôi", 0)
                page.close()
                form: list[dict] = []
                page, dash = _sign_in(leader_ctx, app_url, *leader, "Tổng quan", 1, form)
                switch = _timed(page, lambda: page.get_by_role("tab", name=switch_to).click(), "Tổng quan", 1,
                                need_run=False)  # before issue 16 a tab switch did not rerun
                for tab, charts in CHART_TABS.items():
                    got = _timed(page, lambda tab=tab: page.get_by_role("tab", name=tab).click(), "Tổng quan", charts,
                                 need_run=False)
                    if k:
                        runs.setdefault(f"tab:{tab}", []).append(got)
                page.close()
                if k:
                    runs.setdefault("light", []).append(light)
                    runs.setdefault("dashboard", []).append(dash)
                    runs.setdefault("switch", []).append(switch)
                    runs.setdefault("sign_in_page", []).append(form[0])
            # After a write: the leader on another page, the office moves a card, the leader opens Tổng quan.
            office_page, _ = _sign_in(office_ctx, app_url, *office, "Việc của tôi", 0)
            _timed(office_page, _sidebar(office_page, "Bảng Kanban"), "Bảng Kanban")
            leader_page, _ = _sign_in(leader_ctx, app_url, *leader, "Tổng quan", 1)
            for _ in range(repeat):
                _timed(leader_page, _sidebar(leader_page, "Kế hoạch"), "Kế hoạch")
                _write(office_page)
                runs.setdefault("after_write", []).append(
                    _timed(leader_page, _sidebar(leader_page, "Tổng quan"), "Tổng quan", 1))
            leader_ctx.close()
            # Every other page from a sidebar click (the office sees them all), warm.
            page = office_page
            for name in OTHER_PAGES:
                for k in range(repeat + 1):
                    _timed(page, _sidebar(page, "Kế hoạch" if name == "Việc của tôi" else "Việc của tôi"), "")
                    got = _timed(page, _sidebar(page, name), name)
                    if k:
                        runs.setdefault(f"page:{name}", []).append(got)
            # An item's page, from its link on Tổng quan (as from any list): the page, its tabs drawn.
            for k in range(repeat + 1):
                _timed(page, _sidebar(page, "Tổng quan"), "Tổng quan", 1)
                link, title = _item_link(page)
                address = link.get_attribute("href")
                got = _timed(page, link.click, title)
                if k:
                    runs.setdefault(f"page:{ITEM_PAGE}", []).append(got)
            # The same item's address opened in a new tab, as a link a colleague sent (signed in by the cookie).
            for k in range(repeat + 1):
                tab = office_ctx.new_page()
                tab.goto(address if address.startswith("http") else app_url.rstrip("/") + "/" + address.lstrip("/"))
                got = tab.wait_for_function(_OPENED, arg=[title], timeout=120_000, polling="raf").json_value()
                _wait_idle(tab)
                tab.close()
                if k:
                    runs.setdefault("link", []).append(got)
            office_ctx.close()
            browser.close()
            out = {name: _median(r) for name, r in runs.items()}
    finally:
        app.terminate()
        app.wait(10)
    return out
