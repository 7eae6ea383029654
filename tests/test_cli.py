"""The command line: JSON listings, clear errors with exit code 2, idempotent init."""

import io
import json

import pytest
from sqlalchemy import func, select

from tracker.__main__ import main
from tracker.db import session_scope
from tracker.models import ProgressEvent, Role, User, WorkItem
from tracker.passwords import verify_password


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tasks_json_lists_16_with_11_missing(db_env, capsys):
    code, out, _ = run(capsys, "tasks", "--plan", "184/QĐ-BNV", "--json")
    assert code == 0
    tasks = json.loads(out)
    assert len(tasks) == 16
    assert [t["number"] for t in tasks if t["missing"]] == [11]
    assert tasks[10]["text"] is None


@pytest.mark.parametrize("ref", ["KH-2023", "2023", "199/QĐ-BNV", "kh-2023"])
def test_2023_plan_lists_8(db_env, capsys, ref):
    code, out, _ = run(capsys, "tasks", "--plan", ref, "--json")
    assert code == 0 and len(json.loads(out)) == 8


def test_plan_code_without_diacritics_is_found(db_env, capsys):
    code, out, _ = run(capsys, "tasks", "--plan", "184/QD-BNV", "--json")
    assert code == 0 and len(json.loads(out)) == 16


def test_unknown_plan_exits_2_with_a_clear_message(db_env, capsys):
    code, out, err = run(capsys, "tasks", "--plan", "999/QĐ-BNV")
    assert code == 2 and out == ""
    assert "Không tìm thấy kế hoạch “999/QĐ-BNV”" in err and "184/QĐ-BNV" in err


def test_plans_json(db_env, capsys):
    code, out, _ = run(capsys, "plans", "--json")
    plans = {p["code"]: p for p in json.loads(out)}
    assert code == 0
    assert plans["184/QĐ-BNV"]["task_count"] == 16 and plans["184/QĐ-BNV"]["missing_count"] == 1
    assert plans["KH-2023"]["task_count"] == 8


@pytest.mark.parametrize("day, count", [("2025-06-30", 22 + 63), ("01/07/2025", 22 + 34), ("2024-06-01", 20 + 63)])
def test_units_active_on(db_env, capsys, day, count):
    code, out, _ = run(capsys, "units", "--active-on", day, "--json")
    assert code == 0 and len(json.loads(out)) == count


def test_units_bad_date_exits_2(db_env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["units", "--active-on", "31/02/2025"])
    assert exc.value.code == 2
    assert "không hợp lệ" in capsys.readouterr().err


def test_init_twice_leaves_the_database_unchanged(db_env, engine, capsys):
    def dump():
        with engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                    for t in ("units", "plans", "priority_tasks", "forms", "channels", "alembic_version")}

    assert run(capsys, "init")[0] == 0
    first = dump()
    code, out, _ = run(capsys, "init")
    assert code == 0 and "không thay đổi" in out
    assert dump() == first


def test_user_add_reads_password_from_stdin_and_hashes_it(db_env, engine, capsys, monkeypatch):
    code, out, err = run(capsys, "user", "add", "snv.hanoi", "--role", "unit_head", "--unit", "SNV-HA-NOI",
                         stdin="Mật khẩu rất dài của Sở Nội vụ\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert "Mật khẩu rất dài" not in out + err
    with session_scope(engine) as s:
        user = s.scalars(select(User).where(User.username == "snv.hanoi")).one()
        assert user.role is Role.UNIT_HEAD and user.unit.code == "SNV-HA-NOI"
        assert user.password_hash.startswith("$argon2")
        assert verify_password(user.password_hash, "Mật khẩu rất dài của Sở Nội vụ")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["user", "add", "x.y", "--role", "boss"], "Vai trò “boss” không hợp lệ"),
        (["user", "add", "x.y", "--role", "unit_head", "--unit", "SNV-ATLANTIS"], "Không tìm thấy đơn vị"),
        (["user", "add", "x.y", "--role", "unit_head"], "phải gắn với một đơn vị"),
        (["user", "add", "x.y", "--role", "staff"], "Tài khoản Chuyên viên phải gắn với một đơn vị (--unit)."),
    ],
)
def test_user_add_refusals_exit_2(db_env, capsys, monkeypatch, argv, message):
    code, _, err = run(capsys, *argv, stdin="mat-khau-du-dai\n", monkeypatch=monkeypatch)
    assert code == 2 and message in err


def test_user_add_a_staff_member_of_a_unit(db_env, engine, capsys, monkeypatch):
    code, out, err = run(capsys, "user", "add", "cv.an", "--role", "staff", "--unit", "VU-TL",
                         stdin="mat-khau-chuyen-vien\n", monkeypatch=monkeypatch)
    assert code == 0, err
    assert "Đã tạo tài khoản “cv.an” (Chuyên viên)." in out
    with session_scope(engine) as s:
        user = s.scalars(select(User).where(User.username == "cv.an")).one()
        assert user.role is Role.STAFF and user.unit.code == "VU-TL"


def test_user_add_short_password_refused(db_env, capsys, monkeypatch):
    code, _, err = run(capsys, "user", "add", "admin", "--role", "admin", stdin="ngan\n", monkeypatch=monkeypatch)
    assert code == 2 and "ít nhất 8 ký tự" in err


def test_user_add_duplicate_refused(db_env, capsys, monkeypatch):
    assert run(capsys, "user", "add", "admin", "--role", "admin", stdin="mat-khau-1\n", monkeypatch=monkeypatch)[0] == 0
    code, _, err = run(capsys, "user", "add", "Admin", "--role", "admin", stdin="mat-khau-2\n", monkeypatch=monkeypatch)
    assert code == 2 and "đã tồn tại" in err


def test_demo_is_deterministic_and_replaces_itself(db_env, engine, capsys):
    def rows():
        with session_scope(engine) as s:
            items = s.execute(select(WorkItem.title, WorkItem.lead_unit_id, WorkItem.status, WorkItem.progress,
                                     WorkItem.due_date).order_by(WorkItem.source_key)).all()
            events = s.scalar(select(func.count()).select_from(ProgressEvent))
            return items, events

    code, out, _ = run(capsys, "demo", "--items", "50", "--seed", "7")
    assert code == 0 and "Đã tạo 50 công việc mẫu" in out
    first = rows()
    assert run(capsys, "demo", "--items", "50", "--seed", "7")[0] == 0
    assert rows() == first and len(first[0]) == 50
    assert run(capsys, "demo", "--items", "50", "--seed", "8")[0] == 0
    assert rows()[0] != first[0]


def test_demo_unknown_plan_exits_2(db_env, capsys):
    code, _, err = run(capsys, "demo", "--items", "5", "--plan", "KHONG-CO")
    assert code == 2 and "Không tìm thấy kế hoạch" in err
