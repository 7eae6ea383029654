"""The load run drives real app processes over Streamlit's WebSocket and returns sane figures (never timed)."""

import pytest
from sqlalchemy import select

from tests.system_tools import missing
from tracker import bench, bench_load, nginx_site
from tracker.db import make_engine, session_scope
from tracker.models import ProgressEvent, User, UserSession


@pytest.fixture
def bench_db(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    url = bench._fresh_sqlite(tmp_path / "bench.sqlite3")
    engine, info = bench.build(url, 60)
    engine.dispose()
    return url, info


def test_two_unit_heads_do_their_round_on_one_process_and_each_report_is_saved(bench_db):
    url, info = bench_db
    crowd = bench_load.people(url, 2)
    assert len({p.item_id for p in crowd}) == 2  # nobody reports on another's item
    (app, app_url), = bench_load._servers(url, info["as_of"].isoformat(), 1)
    try:
        got = bench_load.drive(app_url, crowd, think=0.1, server_pids=[app.pid])
    finally:
        bench_load._stop([app])
    assert got.errors == []
    names = [c.name for c in got.clicks]
    assert names.count("Đăng nhập") == 2 and names.count("Gửi báo cáo tiến độ") == 2 and len(names) == 12
    assert all(c.seconds > 0 and c.received > 0 for c in got.clicks)
    assert 0 < got.median <= got.p95 and got.per_second > 0 and got.cpu > 0 and got.cpu_per_run > 0
    engine = make_engine(url)
    with session_scope(engine) as s:
        reported = set(s.scalars(select(ProgressEvent.work_item_id).join(User, User.id == ProgressEvent.actor_id)
                                 .where(User.username.in_([p.username for p in crowd]))))
        clients = set(s.scalars(select(UserSession.client).join(User, User.id == UserSession.user_id)
                                .where(User.username.in_([p.username for p in crowd]))))
    engine.dispose()
    assert reported == {p.item_id for p in crowd}
    # Each from an address of their own, as people are (the sign-in throttle counts by address).
    assert {c.split(" · ")[0] for c in clients} == {p.address for p in crowd}


def test_the_bench_step_prints_one_process_and_two_behind_nginx_beside_one_person_alone(bench_db, tmp_path):
    if nginx_site.nginx_binary() is None:
        missing("nginx not found (apt-get install nginx)")
    url, info = bench_db
    lines: list[str] = []
    result = bench.Bench(repeat=1, echo=lines.append)
    bench._load(result, "sqlite", 60, url, info, tmp_path, sessions=2, think=0.1, rounds=1)
    assert [r.note for r in result.rows if r.note.startswith(("lỗi", "bỏ qua"))] == []
    assert [r.name for r in result.rows] == [
        "Tải: 2 người cùng lúc, nghỉ 0,1 s, 1 tiến trình: thời gian máy chủ mỗi lượt",
        "Tải: 2 người cùng lúc, nghỉ 0,1 s, 2 tiến trình sau nginx: thời gian máy chủ mỗi lượt"]
    for row in result.rows:
        assert row.median > 0 and row.floor > 0 and row.runs == 12
        assert "p95" in row.note and "lượt/s" in row.note and "mỗi lượt" in row.note and "lỗi" not in row.note


def test_the_one_address_load_run_puts_everyone_behind_one_address(bench_db):
    from tracker.__main__ import build_parser

    url, _info = bench_db
    assert {p.address for p in bench_load.people(url, 3, one_address=True)} == {"127.0.0.1"}
    assert len({p.address for p in bench_load.people(url, 3)}) == 3
    args = build_parser().parse_args(["bench", "--load-one-address", "--load-processes", "1"])
    assert args.load_one_address and args.load_processes == "1"
