"""The built-in catalog: contents, validation with every error, idempotent loading."""

import datetime as dt
import shutil
import unicodedata

import pytest
from sqlalchemy import func, select

from tracker.catalog import CatalogError, load_catalog, read_catalog
from tracker.config import DATA_DIR
from tracker.db import session_scope
from tracker.models import Channel, Form, Plan, PriorityTask, Unit, UnitKind
from tracker.services.units import list_units


def _tasks(session, code):
    plan = session.scalars(select(Plan).where(Plan.code == code)).one()
    return session.scalars(select(PriorityTask).where(PriorityTask.plan_id == plan.id)
                           .order_by(PriorityTask.number)).all()


def test_decision_184_has_16_slots_and_11_is_marked_missing(session):
    tasks = _tasks(session, "184/QĐ-BNV")
    assert [t.number for t in tasks] == list(range(1, 17))
    missing = [t.number for t in tasks if t.text_missing]
    assert missing == [11]
    assert tasks[10].text is None
    assert tasks[0].text.startswith("Đẩy mạnh công tác truyền thông về các sự kiện chính trị")
    assert tasks[15].text.startswith("Tuyên truyền và phổ biến rộng rãi các hoạt động đối ngoại")


def test_2023_plan_has_8_groups_numbered_in_roman(session):
    tasks = _tasks(session, "KH-2023")
    assert [t.label for t in tasks] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]
    assert all(t.text and not t.text_missing for t in tasks)
    plan = session.scalars(select(Plan).where(Plan.code == "KH-2023")).one()
    assert plan.verified is False  # the decision number comes from an unverified source


def test_every_catalog_string_is_nfc(session):
    for model, cols in ((Unit, ("name",)), (PriorityTask, ("text",)), (Form, ("name",)), (Plan, ("title",))):
        for obj in session.scalars(select(model)):
            for col in cols:
                value = getattr(obj, col)
                assert value is None or unicodedata.is_normalized("NFC", value)


@pytest.mark.parametrize(
    "day, admin, service, provincial",
    [
        (dt.date(2024, 6, 1), 16, 4, 63),
        (dt.date(2025, 3, 1), 18, 4, 63),
        (dt.date(2025, 6, 30), 18, 4, 63),
        (dt.date(2025, 7, 1), 18, 4, 34),
    ],
)
def test_units_active_on_a_day(session, day, admin, service, provincial):
    kinds = [u.kind for u in list_units(session, active_on=day)]
    assert kinds.count(UnitKind.MINISTRY_ADMIN.value) == admin
    assert kinds.count(UnitKind.MINISTRY_SERVICE.value) == service
    assert kinds.count(UnitKind.PROVINCIAL.value) == provincial


def test_merged_units_point_to_their_successors(session):
    by_code = {u.code: u for u in session.scalars(select(Unit))}
    assert by_code["SNV-HA-GIANG"].successor.code == "SNV-TUYEN-QUANG"
    assert by_code["SNV-HA-GIANG"].valid_to == dt.date(2025, 6, 30)
    assert by_code["SNV-TUYEN-QUANG"].valid_to is None
    assert by_code["VU-TL"].successor.code == "CUC-TLBHXH"
    assert by_code["BAN-TGCP"].successor is None and by_code["BAN-TGCP"].valid_to is not None
    absorbed = [u for u in by_code.values() if u.kind is UnitKind.PROVINCIAL and u.valid_to]
    assert len(absorbed) == 29 and all(u.successor and u.successor.valid_to is None for u in absorbed)


def test_forms_keep_aliases_people_use(session):
    forms = session.scalars(select(Form)).all()
    assert len(forms) >= 12
    hn = [f for f in forms if "tọa đàm" in f.name.lower() or "tọa đàm" in [a.lower() for a in f.aliases]]
    assert hn, "the form “Hội nghị, hội thảo, tọa đàm” must be findable by “tọa đàm”"
    assert session.scalar(select(func.count()).select_from(Channel)) >= 5


def _snapshot(engine):
    with session_scope(engine) as s:
        rows = []
        for model in (Unit, Form, Channel, Plan, PriorityTask):
            for obj in s.scalars(select(model).order_by(model.id)):
                rows.append((model.__name__, *[getattr(obj, c.key) for c in model.__table__.columns]))
        return rows


def test_loading_twice_changes_nothing(engine):
    before = _snapshot(engine)
    with session_scope(engine) as s:
        report = load_catalog(s)
    assert not report.changed
    assert report.unchanged["nhiệm vụ"] == 24
    assert _snapshot(engine) == before


def test_editing_a_file_updates_in_place(engine, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.sqlite3*"))
    plans = (data / "plans.toml").read_text(encoding="utf-8")
    edited = plans.replace("Cung cấp thông tin kịp thời cho báo chí", "Cung cấp thông tin thường xuyên cho báo chí")
    assert edited != plans
    (data / "plans.toml").write_text(edited, encoding="utf-8")
    with session_scope(engine) as s:
        task_id = _tasks(s, "184/QĐ-BNV")[14].id
        count = s.scalar(select(func.count()).select_from(PriorityTask))
    with session_scope(engine) as s:
        report = load_catalog(s, data)
    assert report.updated["nhiệm vụ"] == 1 and sum(report.created.values()) == 0
    with session_scope(engine) as s:
        task = s.get(PriorityTask, task_id)
        assert task.text.startswith("Cung cấp thông tin thường xuyên")
        assert s.scalar(select(func.count()).select_from(PriorityTask)) == count


def test_nfd_text_in_a_file_is_stored_as_nfc(engine, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    plans = (data / "plans.toml").read_text(encoding="utf-8")
    (data / "plans.toml").write_text(unicodedata.normalize("NFD", plans), encoding="utf-8")
    with session_scope(engine) as s:
        report = load_catalog(s, data)
    assert not report.changed  # NFD and NFC are the same text


BAD_PLANS = """
[[plan]]
code = "X-1"
title = "Kế hoạch thử"
year = 2024
numbering = "arabic"
[[plan.task]]
number = 1
[[plan.task]]
number = 2
text = "Có nội dung"
missing = true
[[plan.task]]
number = 2
text = "Trùng số"

[[plan]]
code = "X-1"
title = "Trùng mã"
year = 1800
issued_on = "18/3/2024"
numbering = "greek"
"""

BAD_UNITS = """
[[unit]]
code = "A"
name = "Đơn vị A"
kind = "ministry_admin"
successor = "KHONG-CO"
valid_to = 2025-01-01
[[unit]]
code = "b lower"
name = "Đơn vị B"
kind = "province"
aliases = ["Đơn vị A"]
valid_from = 2025-01-01
valid_to = 2024-01-01
"""


def test_bad_files_report_every_problem_and_load_nothing(engine, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "plans.toml").write_text(BAD_PLANS, encoding="utf-8")
    (data / "units.toml").write_text(BAD_UNITS, encoding="utf-8")
    before = _snapshot(engine)
    with pytest.raises(CatalogError) as err:
        with session_scope(engine) as s:
            load_catalog(s, data)
    text = str(err.value)
    expected = [
        "thiếu nội dung (text)",            # task 1 with neither text nor missing
        "không được có text",               # task 2 with both
        "số thứ tự bị trùng",               # task 2 twice
        "trùng với bản ghi",                # duplicate plan code / alias
        "năm kế hoạch",                     # year 1800
        "phải là ngày",                     # date as text
        "cách đánh số",                     # numbering greek
        "không có trong danh mục",          # unknown successor
        "loại đơn vị",                      # kind province
        "mã phải gồm chữ in hoa",           # code "b lower"
        "ngày kết thúc trước ngày bắt đầu",
    ]
    for phrase in expected:
        assert phrase in text, phrase
    assert len(err.value.problems) >= len(expected)
    assert _snapshot(engine) == before


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError, match="không tìm thấy tệp"):
        read_catalog(tmp_path)
