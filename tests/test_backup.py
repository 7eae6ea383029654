"""Backup and restore round trips, damaged dumps, restores into a newer schema, upgrades that keep data."""

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable

import pytest
from sqlalchemy import MetaData, func, insert, select

from tests.factories import make_user
from tests.item_factories import make_item
from tracker.backup import BackupError, backup, dump_tables, restore, sign
from tracker.db import make_engine, session_scope
from tracker.migrate import current_revision, head_revision, upgrade
from tracker.models import ProgressEvent, Role, Unit, User, WorkItem
from tracker.permissions import Actor
from tracker.services.assignments import assign_staff
from tracker.services.comments import add_comment
from tracker.services.demo import generate_demo
from tracker.services.explanations import answer_explanation, request_explanation
from tracker.services.plans import find_plan
from tracker.services.rounds import open_round, submit_report

FIRST = "0001_core_schema"
TODAY = dt.date(2024, 8, 1)


def _populate(engine) -> None:
    """A little of everything: demo work with history, accounts, a round, an explanation, audit rows."""
    with session_scope(engine) as s:
        generate_demo(s, plan=find_plan(s, "184/QĐ-BNV"), items=25, seed=7)
        admin = Actor.of(make_user(s, "vanphong", Role.ADMIN))
        head = Actor.of(make_user(s, "tp.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
        item = make_item(s, unit_code="VU-TCBC", title="Tọa đàm “Cải cách tiền lương” <b>2024</b>",
                         due=dt.date(2024, 6, 30))
        tcbc = s.scalars(select(Unit.id).where(Unit.code == "VU-TCBC")).one()
        round_ = open_round(s, actor=admin, name="Báo cáo 6 tháng 2024", period_start=dt.date(2024, 1, 1),
                            period_end=dt.date(2024, 6, 30), deadline=dt.date(2024, 6, 15), unit_ids=[tcbc])
        submit_report(s, actor=head, round_id=round_.id, summary="Đã đăng 8/12 bài; còn 4 bài quý III.")
        request = request_explanation(s, actor=admin, item_id=item.id, question="Vì sao chậm?", today=TODAY)
        answer_explanation(s, actor=head, request_id=request.id, answer="Chờ kinh phí.")
        add_comment(s, actor=head, item_id=item.id, body="Nhờ @vanphong xem bản thảo <i>số 2</i>.")
        staff = make_user(s, "cv.tcbc", Role.STAFF, "VU-TCBC")
        assign_staff(s, actor=head, item_id=item.id, user_ids=[staff.id])


def test_round_trip_is_equal_and_new_rows_get_fresh_ids(engine, db_factory, tmp_path):
    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    summary = backup(engine, dump)
    assert summary.tables["work_items"] == 26 and summary.tables["progress_events"] > 100
    # round opened, explanation asked (the head), answered and mentioned (the office), assigned (the staff
    # member); the comment; follows (the head, the office mentioned, the staff member assigned); the assignment
    assert summary.tables["notifications"] == 5 and summary.tables["item_comments"] == 1
    assert summary.tables["item_follows"] == 3 and summary.tables["item_assignments"] == 1

    target = db_factory(None)
    restored = restore(target, dump)
    assert restored.tables == summary.tables
    assert current_revision(target) == head_revision(target)
    assert dump_tables(target) == dump_tables(engine)
    with session_scope(target) as s:  # sequences moved past restored ids (PostgreSQL)
        new = make_item(s, title="Việc mới sau khôi phục")
        assert new.id > s.scalar(select(func.max(WorkItem.id)).where(WorkItem.id != new.id))


def test_the_dump_is_readable_without_the_app(engine, tmp_path):
    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump)
    with zipfile.ZipFile(dump) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        items = [json.loads(line) for line in zf.read("tables/work_items.jsonl").decode().splitlines()]
    assert manifest["schema_revision"] == head_revision(engine)
    assert manifest["tables"]["work_items"]["rows"] == len(items) == 26
    item = next(i for i in items if i["title"].startswith("Tọa đàm"))
    assert item["title"] == "Tọa đàm “Cải cách tiền lương” <b>2024</b>"  # verbatim, NFC text
    assert item["due_date"] == "2024-06-30" and item["created_at"].endswith("+00:00")


def test_a_sqlite_dump_restores_into_this_backend(tmp_path, db_factory, sqlite_templates):
    import shutil

    source_path = tmp_path / "nguon.sqlite3"
    shutil.copyfile(sqlite_templates["catalog"], source_path)
    source = make_engine(f"sqlite:///{source_path}")
    _populate(source)
    dump = tmp_path / "sao-luu.zip"
    backup(source, dump)
    target = db_factory(None)
    restore(target, dump)
    assert dump_tables(target) == dump_tables(source)
    source.dispose()


def test_a_non_empty_target_needs_replace(engine, db_factory, tmp_path):
    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump)
    target = db_factory("catalog")
    with session_scope(target) as s:
        make_item(s, title="Việc sẽ bị thay thế")
    with pytest.raises(BackupError, match="đã có dữ liệu"):
        restore(target, dump)
    with session_scope(target) as s:  # nothing touched
        assert s.scalar(select(func.count()).select_from(WorkItem)) == 1
    restore(target, dump, replace=True)
    assert dump_tables(target) == dump_tables(engine)


def test_a_damaged_dump_is_refused_before_anything_is_written(engine, db_factory, tmp_path):
    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump)
    damaged = tmp_path / "hong.zip"
    with zipfile.ZipFile(dump) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "tables/work_items.jsonl":
                data = data.replace("Tọa đàm".encode(), "Hội thảo".encode())
            dst.writestr(name, data)
    target = db_factory(None)
    with pytest.raises(BackupError, match="work_items.*bị hỏng"):
        restore(target, damaged)
    assert current_revision(target) is None
    not_zip = tmp_path / "khong-phai.zip"
    not_zip.write_text("xin chào", encoding="utf-8")
    with pytest.raises(BackupError, match="không phải tệp ZIP"):
        restore(target, not_zip)


def _seed_first_revision(engine) -> dict[str, int]:
    """Rows written with the first migration's tables (reflected, not today's models)."""
    meta = MetaData()
    meta.reflect(bind=engine)
    t = meta.tables
    now = dt.datetime(2024, 3, 20, 2, 0)
    with engine.begin() as conn:
        conn.execute(insert(t["units"]), [{"id": 1, "code": "VU-A", "name": "Vụ A", "kind": "ministry_admin",
                                           "aliases": [], "verified": True, "successor_id": None},
                                          {"id": 2, "code": "SNV-X", "name": "Sở Nội vụ X", "kind": "provincial",
                                           "aliases": [], "verified": True, "successor_id": None}])
        conn.execute(insert(t["forms"]), [{"id": 1, "code": "BAI", "name": "Tin, bài", "aliases": ["tin bài"],
                                           "active": True, "sort_order": 1}])
        conn.execute(insert(t["plans"]), [{"id": 1, "code": "184/QĐ-BNV", "title": "Kế hoạch 2024", "year": 2024,
                                           "numbering": "arabic", "task_label": "Nhiệm vụ trọng tâm",
                                           "verified": True}])
        conn.execute(insert(t["priority_tasks"]), [{"id": 1, "plan_id": 1, "number": 9, "label": "9",
                                                    "text": "Nhiệm vụ 9", "text_missing": False}])
        conn.execute(insert(t["work_items"]), [
            {"id": i, "plan_id": 1, "priority_task_id": 1, "title": f"Chuyên mục số {i} ‘nội vụ’", "lead_unit_id": 1 + i % 2,
             "form_id": 1, "status": "in_progress", "progress": 10 * i, "blocked": False, "recurring": False,
             "version": 1 + i, "created_at": now, "updated_at": now, "due_date": dt.date(2024, 9, 30)}
            for i in range(1, 6)])
        conn.execute(insert(t["progress_events"]), [
            {"work_item_id": i, "at": now, "kind": "progress", "progress": 10 * i, "changes": {"progress": [0, 10 * i]},
             "evidence_urls": ["https://moha.gov.vn/a"], "note": "Đã đăng"} for i in range(1, 6) for _ in range(3)])
    return {"work_items": 5, "progress_events": 15}


def test_upgrading_from_the_first_migration_keeps_every_item_and_event(empty_engine):
    upgrade(empty_engine, FIRST)
    expected = _seed_first_revision(empty_engine)
    before = dump_tables(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)
    after = dump_tables(empty_engine)
    for table in ("work_items", "progress_events", "units", "plans", "priority_tasks", "forms"):
        old_rows = before[table]
        assert len(after[table]) == len(old_rows) == expected.get(table, len(old_rows))
        for old, new in zip(old_rows, after[table], strict=True):
            assert {k: new[k] for k in old} == old  # every old column intact; new columns only added
    with session_scope(empty_engine) as s:  # and today's models read them
        assert s.get(WorkItem, 3).title == "Chuyên mục số 3 ‘nội vụ’"
        assert s.scalar(select(func.count()).select_from(ProgressEvent)) == 15


def test_a_dump_of_an_older_schema_restores_and_is_migrated(empty_engine, db_factory, tmp_path):
    upgrade(empty_engine, FIRST)
    _seed_first_revision(empty_engine)
    dump = tmp_path / "cu.zip"
    assert backup(empty_engine, dump).revision == FIRST
    target = db_factory(None)
    restore(target, dump)
    assert current_revision(target) == head_revision(target)
    with session_scope(target) as s:
        assert s.scalar(select(func.count()).select_from(WorkItem)) == 5
        assert s.get(WorkItem, 5).progress == 50


def test_a_dump_from_a_newer_app_is_refused(engine, db_factory, tmp_path):
    dump = tmp_path / "moi.zip"
    backup(engine, dump)
    newer = _rewrite(dump, tmp_path / "moi-hon.zip",
                     manifest=lambda m: m.update(schema_revision="9999_from_the_future"))
    with pytest.raises(BackupError, match="cập nhật ứng dụng"):
        restore(db_factory(None), newer)


def test_cli_backup_and_restore(engine, db_factory, tmp_path, monkeypatch, capsys):
    from tracker.__main__ import main

    _populate(engine)
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    (tmp_path / "uploads" / "ab").mkdir(parents=True)
    (tmp_path / "uploads" / "ab" / "abc123").write_bytes(b"%PDF minh chung")
    dump = tmp_path / "sao-luu.zip"
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["backup", str(dump)]) == 0
    assert "1 tệp minh chứng" in capsys.readouterr().out

    target = db_factory(None)
    monkeypatch.setenv("TRACKER_DATABASE_URL", target.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "restored-uploads"))
    assert main(["restore", str(dump)]) == 0
    assert "phiên bản lược đồ mới nhất" in capsys.readouterr().out
    assert (tmp_path / "restored-uploads" / "ab" / "abc123").read_bytes() == b"%PDF minh chung"
    assert dump_tables(target) == dump_tables(engine)
    assert main(["restore", str(dump)]) == 2  # now not empty
    assert "--replace" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "khong-co.zip")]) == 2


def _rewrite(dump, out, *, tables: dict[str, Callable[[list[dict]], None]] | None = None,
             manifest: Callable[[dict], None] | None = None, resign: bool = True):
    """A copy of `dump` with table rows and manifest edited and checksums recomputed.

    resign=True signs it with this server's key (a dump made here with bad data in it); False keeps
    the old signature (what someone who edited the file without the key can do).
    """
    with zipfile.ZipFile(dump) as src, zipfile.ZipFile(out, "w") as dst:
        meta = json.loads(src.read("manifest.json"))
        for name in src.namelist():
            if name in ("manifest.json", "manifest.sig"):
                continue
            data = src.read(name)
            table = name.removeprefix("tables/").removesuffix(".jsonl")
            if tables and table in tables:
                rows = [json.loads(line) for line in data.decode().splitlines()]
                tables[table](rows)
                data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()
                meta["tables"][table] = {"rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()}
            dst.writestr(name, data)
        if manifest:
            manifest(meta)
        manifest_bytes = json.dumps(meta, ensure_ascii=False).encode()
        dst.writestr("manifest.json", manifest_bytes)
        dst.writestr("manifest.sig", sign(manifest_bytes) if resign else src.read("manifest.sig"))
    return out


def _fingerprint(engine) -> tuple[dict[str, int], str]:
    """Row counts per table and one checksum over every row of every table."""
    tables = dump_tables(engine)
    counts = {name: len(rows) for name, rows in tables.items()}
    return counts, hashlib.sha256(json.dumps(tables, sort_keys=True, default=str).encode()).hexdigest()


def _bad_fk(rows):
    rows[0]["lead_unit_id"] = 999_999


def _duplicate_username(rows):
    rows[-1]["username"] = rows[0]["username"]


def _bad_date(rows):
    rows[3]["due_date"] = "2024-13-45"


BAD_DUMPS = {
    "foreign key to nothing": ({"work_items": _bad_fk}, None, r"“work_items”, dòng 1 \(id=\d+\): tham chiếu"),
    "duplicate username": ({"users": _duplicate_username}, None, r"“users”, dòng \d+ \(id=\d+\): trùng"),
    "bad date": ({"work_items": _bad_date}, None, r"“work_items”, dòng 4: cột “due_date” không phải ngày"),
    "schema_revision null": (None, lambda m: m.update(schema_revision=None), "schema_revision"),
}


@pytest.mark.parametrize("case", BAD_DUMPS)
def test_replace_with_one_bad_row_leaves_the_live_database_and_files_as_they_were(
        case, engine, db_factory, tmp_path):
    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "abc123").write_bytes(b"%PDF minh chung")
    backup(engine, dump, files_dir=uploads)
    tables, manifest, message = BAD_DUMPS[case]
    bad = _rewrite(dump, tmp_path / "xau.zip", tables=tables, manifest=manifest)

    live = db_factory("catalog")
    with session_scope(live) as s:
        make_user(s, "dangdung", Role.ADMIN)
        make_item(s, title="Việc đang theo dõi trên máy chủ thật")
    live_files = tmp_path / "live-uploads"
    live_files.mkdir()
    before = _fingerprint(live)
    with pytest.raises(BackupError, match=message) as raised:
        restore(live, bad, replace=True, files_dir=live_files)
    assert "$argon2" not in str(raised.value)
    assert _fingerprint(live) == before
    assert current_revision(live) == head_revision(live)
    assert list(live_files.iterdir()) == [] and [p.name for p in tmp_path.iterdir() if "restore" in p.name] == []

    restore(live, dump, replace=True, files_dir=live_files)  # the good dump still replaces everything
    assert dump_tables(live) == dump_tables(engine)
    assert (live_files / "ab" / "abc123").read_bytes() == b"%PDF minh chung"


def test_an_edited_dump_is_refused_unless_trusted(engine, db_factory, tmp_path):
    with session_scope(engine) as s:
        make_user(s, "xem", Role.VIEWER)
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump)

    def make_admin(rows):
        next(r for r in rows if r["username"] == "xem")["role"] = "admin"

    edited = _rewrite(dump, tmp_path / "sua.zip", tables={"users": make_admin}, resign=False)
    target = db_factory(None)
    with pytest.raises(BackupError, match="chữ ký.*--trust-unsigned"):
        restore(target, edited)
    assert current_revision(target) is None
    restore(target, edited, trust_unsigned=True)
    with session_scope(target) as s:
        assert s.scalars(select(User.role).where(User.username == "xem")).one() is Role.ADMIN


def test_an_evidence_file_name_clash_is_refused_before_anything_is_written(engine, db_factory, tmp_path):
    _populate(engine)
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "abc123").write_bytes(b"%PDF trong ban sao luu")
    (uploads / "ab" / "abd456").write_bytes(b"%PDF giong nhau")
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump, files_dir=uploads)
    live = db_factory("catalog")
    live_files = tmp_path / "live"
    (live_files / "ab").mkdir(parents=True)
    (live_files / "ab" / "abc123").write_bytes(b"%PDF khac")
    before = _fingerprint(live)
    with pytest.raises(BackupError, match="ab/abc123.*nội dung khác"):
        restore(live, dump, replace=True, files_dir=live_files)
    assert _fingerprint(live) == before
    assert sorted(p.name for p in (live_files / "ab").iterdir()) == ["abc123"]
    (live_files / "ab" / "abc123").write_bytes(b"%PDF trong ban sao luu")  # the same bytes are no clash
    assert restore(live, dump, replace=True, files_dir=live_files).files == 2
    assert (live_files / "ab" / "abd456").read_bytes() == b"%PDF giong nhau"


def test_cli_restore_names_the_bad_row_and_never_prints_a_password_hash(engine, db_factory, tmp_path,
                                                                         monkeypatch, capsys):
    from tracker.__main__ import main

    _populate(engine)
    dump = tmp_path / "sao-luu.zip"
    backup(engine, dump)
    bad = _rewrite(dump, tmp_path / "xau.zip", tables={"users": _duplicate_username})
    live = db_factory("catalog")
    before = _fingerprint(live)
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("TRACKER_DATABASE_URL", live.url.render_as_string(hide_password=False))
    assert main(["restore", "--replace", str(bad)]) == 2
    out = capsys.readouterr()
    assert "“users”, dòng" in out.err and "argon2" not in out.err + out.out
    assert _fingerprint(live) == before
    unsigned = _rewrite(dump, tmp_path / "khong-ky.zip", tables={"users": lambda rows: None}, resign=False)
    assert main(["restore", "--replace", str(unsigned)]) == 2
    assert "--trust-unsigned" in capsys.readouterr().err
    assert main(["restore", "--replace", "--trust-unsigned", str(unsigned)]) == 0
    assert dump_tables(live) == dump_tables(engine)


def test_a_busy_sqlite_database_is_left_as_it_was(tmp_path, sqlite_templates, monkeypatch):
    import shutil

    from tracker import backup as backup_module

    monkeypatch.setattr(backup_module, "SQLITE_SWITCH_WAIT_S", 0.5)
    path = tmp_path / "dang-dung.sqlite3"
    shutil.copyfile(sqlite_templates["catalog"], path)
    live = make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=200)
    shutil.copyfile(sqlite_templates["catalog"], tmp_path / "nguon.sqlite3")
    source = make_engine(f"sqlite:///{tmp_path / 'nguon.sqlite3'}")
    _populate(source)
    dump = tmp_path / "sao-luu.zip"
    backup(source, dump)
    before = _fingerprint(live)
    other = make_engine(f"sqlite:///{path}")
    with other.connect() as writer:  # another process is in the middle of a write
        writer.exec_driver_sql("BEGIN IMMEDIATE")
        writer.exec_driver_sql("DELETE FROM forms WHERE 1 = 0")
        with pytest.raises(BackupError, match="đang được dùng"):
            restore(live, dump, replace=True)
        writer.exec_driver_sql("ROLLBACK")
    assert _fingerprint(live) == before
    for e in (live, source, other):
        e.dispose()
