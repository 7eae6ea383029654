"""A plan from the Decision the office receives: the heading's number, date and issuer; the numbered tasks in
whatever numbering; gaps kept as slots with no text (184/QĐ-BNV has no (11)); saved only after the office's
corrections, with the file kept and linked."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from tests.factories import make_user
from tracker import decision_text
from tracker.__main__ import main
from tracker.db import session_scope
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import AuditEvent, Plan, Role
from tracker.permissions import Actor
from tracker.services import catalog_admin

# Copies of ../shared/seeds/001 and 002 (the published articles), so the tests run from a clean clone.
SEEDS = Path(__file__).resolve().parent / "fixtures_text"
SEED_184 = SEEDS / "decision_184_article.txt"
SEED_2023 = SEEDS / "plan_2023_article.txt"


def _seed_tasks() -> list[str]:
    """The 2024 plan's tasks as the published text gives them: (1)…(16), without (11)."""
    return [line for line in SEED_184.read_text(encoding="utf-8").splitlines() if re.match(r"^\(\d+\) ", line)]


def decision_184(tasks: list[str] | None = None) -> bytes:
    """A .docx laid out as a Decision is: the heading as a two-column table, the decision, its articles, then the
    plan with its parts; the tasks are the seed's paragraphs."""
    doc = Document()
    t = doc.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "BỘ NỘI VỤ"
    t.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    t.cell(1, 0).text = "Số: 184/QĐ-BNV"
    t.cell(1, 1).text = "Hà Nội, ngày 18 tháng 3 năm 2024"
    for p in ["QUYẾT ĐỊNH", "Ban hành Kế hoạch truyền thông về các lĩnh vực công tác của Bộ Nội vụ năm 2024",
              "BỘ TRƯỞNG BỘ NỘI VỤ",
              "Căn cứ Nghị định số 63/2022/NĐ-CP ngày 12 tháng 9 năm 2022 của Chính phủ quy định chức năng, nhiệm vụ;",
              "Theo đề nghị của Chánh Văn phòng Bộ.", "QUYẾT ĐỊNH:",
              "Điều 1. Ban hành kèm theo Quyết định này Kế hoạch truyền thông về các lĩnh vực công tác của Bộ Nội vụ "
              "năm 2024.",
              "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
              "Điều 3. Chánh Văn phòng Bộ, Thủ trưởng các đơn vị thuộc Bộ chịu trách nhiệm thi hành Quyết định này./.",
              "KẾ HOẠCH", "Truyền thông về các lĩnh vực công tác của Bộ Nội vụ năm 2024",
              "I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích", "a) Kịp thời, đúng định hướng.", "b) Tạo sự đồng thuận.",
              "2. Yêu cầu", "Bám sát sự lãnh đạo, chỉ đạo của Đảng.",
              "II. NHIỆM VỤ TRỌNG TÂM", *(tasks if tasks is not None else _seed_tasks()),
              "III. TỔ CHỨC THỰC HIỆN", "1. Văn phòng Bộ", "2. Các đơn vị thuộc Bộ", "3. Sở Nội vụ các tỉnh"]:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_the_184_decision_yields_16_slots_with_11_missing_and_its_heading():
    draft = decision_text.read(decision_184())
    assert (draft.decision_no, draft.issued_on) == ("184/QĐ-BNV", dt.date(2024, 3, 18))
    assert draft.issuer == "Bộ trưởng Bộ Nội vụ"
    assert draft.title == "Kế hoạch truyền thông về các lĩnh vực công tác của Bộ Nội vụ năm 2024"
    assert draft.year == 2024
    assert [t.number for t in draft.tasks] == list(range(1, 17))
    assert draft.missing == [11]
    # each task's full text, as published; "1. Mục đích" and "a) …" of part I are not tasks
    assert draft.tasks[0].text == _seed_tasks()[0].removeprefix("(1) ")
    assert draft.tasks[15].text.startswith("Tuyên truyền và phổ biến rộng rãi các hoạt động đối ngoại")
    assert all(t.group == "II. NHIỆM VỤ TRỌNG TÂM" for t in draft.tasks if t.text)
    assert any("(11)" in n for n in draft.notes)


def test_the_published_article_text_pasted_gives_the_same_slots():
    draft = decision_text.read(text=SEED_184.read_text(encoding="utf-8"))
    assert draft.decision_no == "184/QĐ-BNV" and draft.issued_on == dt.date(2024, 3, 18)
    assert len(draft.tasks) == 16 and draft.missing == [11]


def test_roman_numbered_groups_inside_one_paragraph_are_split():
    """The 2023 plan's text: "… 08 nhóm nhiệm vụ trọng tâm: (i) …; (ii) …" in one paragraph."""
    draft = decision_text.read(text=SEED_2023.read_text(encoding="utf-8"))
    assert draft.numbering == "roman"
    assert [t.label for t in draft.tasks] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]
    assert draft.missing == []
    assert draft.tasks[0].text.startswith("Đẩy mạnh công tác truyền thông về các sự kiện chính trị")
    assert not draft.tasks[0].text.endswith(";")


@pytest.mark.parametrize("marker", ["{n}.", "{n})", "({n})"])
def test_any_arabic_numbering_under_the_tasks_heading(marker):
    tasks = [f"{marker.format(n=n)} Nhiệm vụ số {n} về truyền thông chính sách." for n in (1, 2, 3, 5)]
    draft = decision_text.read(decision_184(tasks))
    assert [t.number for t in draft.tasks] == [1, 2, 3, 4, 5]
    assert draft.missing == [4]
    assert draft.tasks[4].text == "Nhiệm vụ số 5 về truyền thông chính sách."


def test_letter_numbering_and_a_task_s_own_sub_points():
    tasks = ["a) Truyền thông về cải cách hành chính:", "- cung cấp dịch vụ công trực tuyến;",
             "b) Truyền thông về chuyển đổi số.", "c) Truyền thông về văn thư – lưu trữ."]
    draft = decision_text.read(decision_184(tasks))
    assert [t.number for t in draft.tasks] == [1, 2, 3]
    assert draft.tasks[0].text == "Truyền thông về cải cách hành chính: - cung cấp dịch vụ công trực tuyến;"


def test_a_stated_count_above_the_last_number_adds_the_slots_at_the_end():
    text = "Kế hoạch có 5 nhiệm vụ trọng tâm là:\n(1) Một.\n(2) Hai.\n(3) Ba."
    draft = decision_text.read(text=text)
    assert [t.number for t in draft.tasks] == [1, 2, 3, 4, 5] and draft.missing == [4, 5]


def test_a_text_without_a_list_says_what_it_could_not_find():
    draft = decision_text.read(text="Một đoạn văn không có gì.")
    assert draft.tasks == [] and draft.decision_no is None
    assert any("Không tìm thấy danh sách nhiệm vụ" in n for n in draft.notes)
    assert any("Không thấy số Quyết định" in n for n in draft.notes)


def test_the_office_saves_the_corrected_draft_with_the_file_kept(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    data = decision_184()
    draft = decision_text.read(data)
    draft.tasks[10].text = None  # (11) stays a slot
    draft.tasks[0].text = "Nội dung do Văn phòng sửa."
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
        head = Actor.of(make_user(s, "truong.tcbc", Role.UNIT_HEAD, "VU-TCBC"))
    with session_scope(engine) as s:
        with pytest.raises(PermissionDenied):
            catalog_admin.create_plan_from_decision(s, actor=head, code="KH-2024-MOI", draft=draft)
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed, match="Đã có kế hoạch mã"):  # the catalog's own 184/QĐ-BNV
            catalog_admin.create_plan_from_decision(s, actor=admin, code="184/QĐ-BNV", draft=draft)
    with session_scope(engine) as s:
        plan = catalog_admin.create_plan_from_decision(s, actor=admin, code="KH-2024-MOI", draft=draft,
                                                       source_filename="QĐ 184.docx", source=data)
        plan_id = plan.id
    with session_scope(engine) as s:
        plan = s.get(Plan, plan_id)
        assert (plan.decision_no, plan.issued_on, plan.issuer, plan.year) == (
            "184/QĐ-BNV", dt.date(2024, 3, 18), "Bộ trưởng Bộ Nội vụ", 2024)
        assert len(plan.tasks) == 16
        assert [t.number for t in plan.tasks if t.text_missing] == [11]
        assert plan.tasks[0].text == "Nội dung do Văn phòng sửa."
        name, kept = catalog_admin.decision_file(s, actor=admin, plan_id=plan_id)
        assert (name, kept) == ("QĐ 184.docx", data)
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "plan.add_from_decision")).one()
        assert audit.details["missing"] == [11]


def test_duplicate_numbers_and_an_empty_title_are_refused_with_every_reason(engine):
    draft = decision_text.read(decision_184())
    draft.title = " "
    draft.tasks[1].number = 1
    with session_scope(engine) as s:
        admin = Actor.of(make_user(s, "van.phong", Role.ADMIN))
    with session_scope(engine) as s:
        with pytest.raises(ValidationFailed) as err:
            catalog_admin.create_plan_from_decision(s, actor=admin, code="KH-X", draft=draft)
    assert err.value.problems == ["Chưa có tên kế hoạch.", "Trùng số thứ tự nhiệm vụ: (1)."]
    with session_scope(engine) as s:
        assert s.scalar(select(Plan.id).where(Plan.code == "KH-X")) is None


def test_cli_plan_from_dry_run_then_create(db_env, engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    path = tmp_path / "QD-184.docx"
    path.write_bytes(decision_184())
    assert main(["plan-from", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Quyết định số: 184/QĐ-BNV" in out and "Ngày ban hành: 18/03/2024" in out
    assert "Nhiệm vụ: 16, thiếu nội dung: (11)" in out and "Chưa ghi gì" in out
    # the catalog already has 184/QĐ-BNV: the code defaults to the number and is refused, nothing written
    assert main(["plan-from", str(path)]) == 2
    assert "Đã có kế hoạch mã “184/QĐ-BNV”" in capsys.readouterr().err
    assert main(["plan-from", str(path), "--code", "184-BAN-SAO"]) == 0
    assert "Đã tạo kế hoạch 184-BAN-SAO (năm 2024) với 16 nhiệm vụ." in capsys.readouterr().out
    with session_scope(engine) as s:
        plan = s.scalars(select(Plan).where(Plan.code == "184-BAN-SAO")).one()
        assert plan.source_filename == "QD-184.docx" and plan.source_sha256


def test_cli_plan_from_refuses_a_file_that_is_not_word(db_env, tmp_path, capsys):
    path = tmp_path / "sai.docx"
    path.write_bytes(b"not a zip")
    assert main(["plan-from", str(path)]) == 2
    assert "không phải tệp Word" in capsys.readouterr().err
