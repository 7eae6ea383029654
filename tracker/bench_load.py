"""Many people at once: N unit heads doing their round against running app processes, no browser each.

Each simulated person is one WebSocket to /_stcore/stream, spoken as the browser speaks it
(BackMsg.rerun_script with the widget states; ForwardMsg back until script_finished): sign in on
the form, open Bảng Kanban, open one of their unit's items and send a progress report on its
form, then Việc của tôi, thinking between clicks. A click's "server time" runs from the BackMsg
sent to the last run it caused finished (reruns a callback or st.rerun asks for included), so it
counts the wait behind other people's runs. The app processes' CPU (from /proc) over the run is
divided by the page runs it served. Used by `python -m tracker bench` (step `load`) and
`python -m tracker bench-load`.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import ssl
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mat-khau-bench"
_FINISHED = 0  # ForwardMsg.FINISHED_SUCCESSFULLY
_EARLY = 2  # FINISHED_EARLY_FOR_RERUN: the run st.rerun, st.switch_page or a callback asked for follows


class LoadError(RuntimeError):
    """A simulated person did not get the page they asked for."""


@dataclass
class Page:
    """What one run drew: widgets by label, the pages of the navigation, exceptions shown, bytes received."""

    widgets: dict[str, object] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # page title -> page_script_hash
    titles: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    received: int = 0


class Tab:
    """One browser tab's conversation with a Streamlit server, over its WebSocket."""

    def __init__(self, base_url: str, *, timeout: float = 300.0, source: str | None = None):
        from websockets.sync.client import connect

        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        context = None
        if scheme == "wss":  # the bench's own self-signed certificate
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self.timeout = timeout
        self._connection = connect(f"{scheme}://{parts.netloc}/_stcore/stream", subprotocols=["streamlit"],
                                   ssl=context, open_timeout=timeout, max_size=None, compression=None, proxy=None,
                                   **({"source_address": (source, 0)} if source else {}))
        self.ws = self._connection.__enter__()
        self.page = Page()
        self.hash = ""  # the page shown (its script hash)

    def close(self) -> None:
        self._connection.__exit__(None, None, None)

    def run(self, *, page: str | None = None, path: str | None = None, query: str = "", widgets=()) -> float:
        """Ask for a run (the address a tab opens, another page by its title as the sidebar shows it, or this
        page with widget states); wait until it and the reruns it causes have finished; return the seconds
        from the request to that."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = query
        if page is not None:
            if page not in self.page.pages:
                raise LoadError(f"không có trang {page!r} trong {sorted(self.page.pages)}")
            state.page_script_hash = self.page.pages[page]
        elif path is not None:
            state.page_name = path  # the first request of a tab: the address it opened
        else:
            state.page_script_hash = self.hash
        for widget in widgets:
            state.widget_states.widgets.append(widget)
        start = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        self._read_until_finished()
        return time.perf_counter() - start

    def _read_until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        pages = self.page.pages
        self.page = Page(pages=pages)
        deadline = time.monotonic() + self.timeout
        while True:
            data = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            msg = ForwardMsg()
            msg.ParseFromString(data)
            self.page.received += len(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page = Page(pages=self.page.pages, received=self.page.received)
                self.hash = msg.new_session.page_script_hash
            elif kind == "navigation":
                self.page.pages = {p.page_name: p.page_script_hash for p in msg.navigation.app_pages}
                self.hash = msg.navigation.page_script_hash or self.hash
            elif kind == "page_info_changed" or kind == "page_not_found":
                if kind == "page_not_found":
                    self.page.errors.append("page not found")
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "script_finished":
                if msg.script_finished != _EARLY:
                    return

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.page.errors.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "heading":
            self.page.titles.append(element.heading.body)
        elif kind == "alert":
            self.page.alerts.append(element.alert.body)
        elif kind is not None:
            inner = getattr(element, kind)
            label = getattr(inner, "label", None)
            if isinstance(label, str) and label and getattr(inner, "id", ""):
                self.page.widgets[label] = inner


def _state(widget, **value):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState(id=widget.id)
    for name, v in value.items():
        setattr(state, name, v)
    return state


@dataclass
class Person:
    """A unit head: the account, the item of their unit they report on, and the loopback address they
    connect from (127.0.1.k: people have addresses of their own, and the sign-in throttle counts by it;
    127.0.0.1 for everyone with --load-one-address)."""

    username: str
    item_id: int
    address: str | None = None


@dataclass
class Click:
    name: str
    seconds: float
    received: int


@dataclass
class Outcome:
    clicks: list[Click] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _check(tab: Tab, what: str, title: str | None = None, alert: str | None = None) -> None:
    if tab.page.errors:
        raise LoadError(f"{what}: {tab.page.errors[0]}")
    if title is not None and not any(title in t for t in tab.page.titles):
        raise LoadError(f"{what}: không thấy tiêu đề {title!r} (thấy {tab.page.titles[:3]})")
    if alert is not None and alert not in tab.page.alerts:
        raise LoadError(f"{what}: không thấy {alert!r} (thấy {tab.page.alerts[:3]})")


def round_of(person: Person, base_url: str, think: float, rounds: int, rng: random.Random, out: Outcome,
             stop: threading.Event) -> None:
    """The unit head's round, `rounds` times, each in a new tab: sign in, board, an item's progress report,
    Việc của tôi."""

    def click(name: str, tab: Tab, **kw) -> None:
        if stop.is_set():
            raise LoadError("dừng")
        seconds = tab.run(**kw)
        out.clicks.append(Click(name, seconds, tab.page.received))

    def pause() -> None:
        stop.wait(rng.uniform(0.5 * think, 1.5 * think) if think else 0)

    for _ in range(rounds):
        tab = None
        try:
            tab = Tab(base_url, source=person.address)
            click("Mở trang đăng nhập", tab, path="")
            _check(tab, "trang đăng nhập", "Đăng nhập")
            pause()
            form = tab.page.widgets
            click("Đăng nhập", tab, widgets=[
                _state(form["Tên đăng nhập"], string_value=person.username),
                _state(form["Mật khẩu"], string_value=PASSWORD),
                _state(form["Đăng nhập"], trigger_value=True)])
            _check(tab, "đăng nhập", "Việc của tôi")
            pause()
            click("Bảng Kanban", tab, page="Bảng Kanban")
            _check(tab, "Bảng Kanban", "Bảng Kanban")
            pause()
            click("Mở một công việc", tab, page="Chi tiết công việc", query=f"id={person.item_id}")
            _check(tab, "công việc")
            pause()
            field_ = tab.page.widgets.get("Tiến độ (%)")
            if field_ is None:
                raise LoadError(f"công việc {person.item_id}: không có ô Tiến độ (%)")
            shown = int(field_.default)  # the item's progress now (another round may have moved it)
            progress = shown + 5 if shown <= 90 else shown - 5
            click("Gửi báo cáo tiến độ", tab, query=f"id={person.item_id}", widgets=[
                _state(field_, int_value=progress), _state(tab.page.widgets["Gửi báo cáo"], trigger_value=True)])
            _check(tab, "báo cáo tiến độ", alert="Đã ghi nhận báo cáo tiến độ.")
            pause()
            click("Việc của tôi", tab, page="Việc của tôi")
            _check(tab, "Việc của tôi", "Việc của tôi")
            pause()  # then the tab is closed (its session stays signed in, as a closed browser's does)
        except Exception as exc:  # one person's failure is counted; the others go on
            out.errors.append(f"{person.username}: {type(exc).__name__}: {exc}"[:300])
            return
        finally:
            if tab is not None:
                tab.close()


def people(url: str, count: int, *, one_address: bool = False) -> list[Person]:
    """`count` unit heads (bench.dv1...), each with an open item of their unit to report on; made once.

    Each connects from a loopback address of their own, or, `one_address`, all from 127.0.0.1: a
    ministry behind one NAT address, as the sign-in throttle sees it."""
    from tracker.db import make_engine, session_scope
    from tracker.models import Status, Unit, User, WorkItem
    from tracker.models import Role
    from tracker.services.users import create_user

    engine = make_engine(url)
    out: list[Person] = []
    try:
        with session_scope(engine) as s:
            # An item in progress: a report moves its percentage (one not started must start first).
            busiest = s.execute(select(WorkItem.lead_unit_id).where(
                WorkItem.deleted_at.is_(None), WorkItem.status == Status.IN_PROGRESS)
                .group_by(WorkItem.lead_unit_id).order_by(func.count().desc(), WorkItem.lead_unit_id)).scalars().all()
            current = {u.id: u for u in s.scalars(select(Unit).where(Unit.id.in_(busiest), Unit.valid_to.is_(None)))}
            units = [current[i] for i in busiest if i in current]
            taken: set[int] = set()
            for k in range(count):
                unit = units[k % len(units)]
                name = f"bench.dv{k + 1}"
                user = s.scalars(select(User).where(User.username == name)).first()
                if user is None:
                    user = create_user(s, username=name, password=PASSWORD, role=Role.UNIT_HEAD, unit_code=unit.code)
                item = s.scalars(select(WorkItem.id).where(
                    WorkItem.lead_unit_id == user.unit_id, WorkItem.deleted_at.is_(None),
                    WorkItem.status == Status.IN_PROGRESS, WorkItem.id.not_in(taken or {0}))
                    .order_by(WorkItem.id).limit(1)).one()
                taken.add(item)
                out.append(Person(name, item, "127.0.0.1" if one_address else f"127.0.{1 + k // 250}.{1 + k % 250}"))
    finally:
        engine.dispose()
    return out


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class LoadResult:
    sessions: int
    think: float
    clicks: list[Click]
    errors: list[str]
    wall: float
    cpu: float
    load_average: tuple[float, float, float]
    client_cpu: float = 0.0  # this driver's own CPU: it shares the machine with the servers

    @property
    def times(self) -> list[float]:
        return [c.seconds for c in self.clicks]

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.clicks else None

    @property
    def p95(self) -> float | None:
        if not self.clicks:
            return None
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]

    @property
    def per_second(self) -> float:
        return len(self.clicks) / self.wall if self.wall else 0.0

    @property
    def cpu_per_run(self) -> float | None:
        return self.cpu / len(self.clicks) if self.clicks else None


def drive(base_url: str, crowd: list[Person], *, think: float, rounds: int = 1, server_pids=(),
          seed: int = 16) -> LoadResult:
    """Every person does their round at once (starts spread over one think time); figures of the whole run."""
    outcomes = [Outcome() for _ in crowd]
    stop = threading.Event()
    threads = []
    for k, person in enumerate(crowd):
        rng = random.Random(seed + k)
        delay = rng.uniform(0, think) if think else 0

        def go(person=person, out=outcomes[k], rng=rng, delay=delay):
            if not stop.wait(delay):
                round_of(person, base_url, think, rounds, rng, out, stop)

        threads.append(threading.Thread(target=go, name=f"load-{person.username}", daemon=True))
    cpu0, own0 = cpu_seconds(server_pids), time.process_time()
    start = time.perf_counter()
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    finally:
        stop.set()
    wall = time.perf_counter() - start
    cpu, own = cpu_seconds(server_pids) - cpu0, time.process_time() - own0
    return LoadResult(len(crowd), think, [c for o in outcomes for c in o.clicks], [e for o in outcomes for e in o.errors],
                      wall, cpu, os.getloadavg(), own)


def _servers(url: str, today: str, processes: int):
    """`processes` app processes on one database; returns them and the address to drive (nginx for two)."""
    from tracker.bench_browser import _serve

    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_TODAY": today, "PYTHONUTF8": "1"}
    apps = []
    try:
        for _ in range(processes):
            apps.append(_serve(ROOT / "app.py", env))
    except Exception:
        _stop([p for p, _ in apps])
        raise
    return apps


def _stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except Exception:
                proc.kill()
                proc.wait(10)


def _behind_nginx(nginx: str, apps, workdir: Path, connections: int):
    """nginx with the deployed site in front of the two processes; its process and https address."""
    from tracker import nginx_site
    from tracker.bench_browser import _free_port

    workdir.mkdir(parents=True, exist_ok=True)
    ports = tuple(int(u.rsplit(":", 1)[1]) for _, u in apps)
    http_port, https_port = _free_port(), _free_port()
    cert, key = nginx_site.self_signed(workdir)
    proxy = nginx_site.start(nginx, workdir, nginx_site.site_config(ports, http_port, https_port, cert, key),
                             worker_connections=max(256, 4 * connections))
    if not nginx_site.wait_for_port(https_port):
        _stop([proxy])
        raise RuntimeError(f"nginx did not listen on {https_port}")
    return proxy, f"https://127.0.0.1:{https_port}"


def measure(*, url: str, today: str, sessions: int, think: float, rounds: int, workdir: Path,
            echo=print, one_address: bool = False,
            processes_list=(1, 2)) -> dict[str, tuple[LoadResult | None, LoadResult | None, str]]:
    """For one process, then two behind nginx: (one person alone, everyone at once, error or '')."""
    from tracker import nginx_site

    crowd = people(url, sessions, one_address=one_address)
    out: dict[str, tuple[LoadResult | None, LoadResult | None, str]] = {}
    runs = (("1 tiến trình", 1), ("2 tiến trình sau nginx", 2))
    for label, processes in [(label, n) for label, n in runs if n in processes_list]:
        nginx = nginx_site.nginx_binary()
        if processes == 2 and nginx is None:
            out[label] = (None, None, "bỏ qua: không có nginx")
            continue
        apps = _servers(url, today, processes)
        proxy = None
        try:
            for _, app_url in apps:  # warm each process (imports, caches) with one round
                drive(app_url, crowd[:1], think=0)
            base = apps[0][1]
            if processes == 2:
                proxy, base = _behind_nginx(nginx, apps, workdir / "nginx", sessions)
            alone = drive(base, crowd[:1], think=0)
            echo(f"  {label}: một người một mình {len(alone.clicks)} lượt, trung vị {alone.median or 0:.3f} s")
            crowd_run = drive(base, crowd, think=think, rounds=rounds, server_pids=[p.pid for p, _ in apps])
            for name in dict.fromkeys(c.name for c in crowd_run.clicks):  # where the time went, click by click
                times = sorted(c.seconds for c in crowd_run.clicks if c.name == name)
                echo(f"  {label}, {name}: {len(times)} lượt, trung vị {statistics.median(times):.3f} s, "
                     f"chậm nhất {times[-1]:.3f} s")
            out[label] = (alone, crowd_run, "")
        except Exception as exc:
            out[label] = (None, None, f"lỗi: {type(exc).__name__}: {exc}"[:200])
        finally:
            _stop(([proxy] if proxy else []) + [p for p, _ in apps])
    return out
