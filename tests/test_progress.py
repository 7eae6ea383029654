"""Progress reports: history old -> new, evidence rules, files, and no lost updates."""

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from tests.item_factories import make_item
from tracker.db import session_scope
from tracker.errors import ValidationFailed
from tracker.models import EvidenceFile, ProgressEvent, Role, Status, WorkItem
from tracker.permissions import Actor
from tracker.services import evidence
from tracker.services.evidence import Upload
from tracker.services.progress import ProgressInput, StaleItem, item_history, parse_urls, update_progress
from tracker.services.users import create_user

TODAY = dt.date(2024, 8, 1)
PDF = "%PDF-1.4\n% bằng chứng\n".encode()


@pytest.fixture
def setup(engine):
    with session_scope(engine) as s:
        head = Actor.of(create_user(s, username="truong.tcbc", password="mat-khau-dai", role=Role.UNIT_HEAD,
                                    unit_code="VU-TCBC", full_name="Nguyễn Văn An"))
        admin = Actor.of(create_user(s, username="vanphong", password="mat-khau-dai", role=Role.ADMIN,
                                     full_name="Trần Thị Bình"))
        item_id = make_item(s, unit_code="VU-TCBC").id
    return engine, head, admin, item_id


def _report(engine, actor, item_id, version, **kw):
    files = kw.pop("files", ())
    with session_scope(engine) as s:
        return update_progress(s, actor=actor, item_id=item_id, expected_version=version,
                               change=ProgressInput(**kw), today=TODAY, files=files)


def test_report_records_old_and_new_for_each_field(setup):
    engine, head, _, item_id = setup
    _report(engine, head, item_id, 1, progress=50, achieved_qty=6, budget_spent=12_500_000,
            note="Đã đăng 6/12 bài", evidence_urls=("https://moha.gov.vn/bai-1",))
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert (item.progress, item.achieved_qty, item.budget_spent, item.version) == (50, 6, 12_500_000, 2)
        history = item_history(s, actor=head, item_id=item_id)
    last = history[-1]
    assert last.actor == "Nguyễn Văn An" and last.kind_label == "Báo cáo tiến độ"
    assert ("Tiến độ (%)", "20%", "50%") in last.changes
    assert ("Kết quả đạt được", "0", "6") in last.changes
    assert ("Kinh phí đã chi", "—", "12.500.000 đ") in last.changes
    assert last.note == "Đã đăng 6/12 bài" and last.evidence_urls == ["https://moha.gov.vn/bai-1"]


def test_history_is_append_only(setup):
    engine, head, _, item_id = setup
    _report(engine, head, item_id, 1, progress=30)
    _report(engine, head, item_id, 2, progress=40)
    with session_scope(engine) as s:
        events = s.scalars(select(ProgressEvent).where(ProgressEvent.work_item_id == item_id)
                           .order_by(ProgressEvent.id)).all()
        assert [e.changes.get("progress") for e in events] == [[20, 30], [30, 40]]


@pytest.mark.parametrize("urls, ok", [
    (("https://moha.gov.vn/a",), True),
    (("http://tcnn.vn/bai?id=1",), True),
    (("javascript:alert(1)",), False),
    (("ftp://moha.gov.vn/a",), False),
    (("moha.gov.vn/a",), False),
    (("https://x.vn/" + "a" * 600,), False),
])
def test_evidence_links_must_be_http_urls(setup, urls, ok):
    engine, head, _, item_id = setup
    if ok:
        _report(engine, head, item_id, 1, evidence_urls=urls)
    else:
        with pytest.raises(ValidationFailed, match="http:// hoặc https://"):
            _report(engine, head, item_id, 1, evidence_urls=urls)


@pytest.mark.parametrize("change, message", [
    (dict(progress=101), "từ 0 đến 100"),
    (dict(progress=-1), "từ 0 đến 100"),
    (dict(achieved_qty=-2), "không được âm"),
    (dict(budget_spent=-1), "không được âm"),
    (dict(blocked=True), "lý do"),
    (dict(), "Chưa có gì thay đổi"),
])
def test_bad_reports_are_refused_and_nothing_changes(setup, change, message):
    engine, head, _, item_id = setup
    with pytest.raises(ValidationFailed, match=message):
        _report(engine, head, item_id, 1, **change)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).version == 1


def test_awaiting_confirmation_needs_evidence_then_office_confirms(setup):
    engine, head, admin, item_id = setup
    with pytest.raises(ValidationFailed, match="minh chứng"):
        _report(engine, head, item_id, 1, status=Status.AWAITING_CONFIRMATION, progress=100)
    _report(engine, head, item_id, 1, status=Status.AWAITING_CONFIRMATION, progress=100,
            evidence_urls=("https://moha.gov.vn/ket-qua",))
    _report(engine, admin, item_id, 2, status=Status.DONE)
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert item.status is Status.DONE and item.completed_on == TODAY
        kinds = [h.kind_label for h in item_history(s, actor=admin, item_id=item_id)]
    assert kinds[-2:] == ["Chuyển trạng thái", "Xác nhận hoàn thành"]


def test_office_returns_with_a_reason_only(setup):
    engine, head, admin, item_id = setup
    _report(engine, head, item_id, 1, status=Status.AWAITING_CONFIRMATION, progress=100,
            evidence_urls=("https://moha.gov.vn/ket-qua",))
    with pytest.raises(ValidationFailed, match="lý do"):
        _report(engine, admin, item_id, 2, status=Status.IN_PROGRESS)
    _report(engine, admin, item_id, 2, status=Status.IN_PROGRESS, note="Minh chứng chưa đúng bài.")
    with session_scope(engine) as s:
        assert item_history(s, actor=admin, item_id=item_id)[-1].kind_label == "Trả lại"


def test_two_sessions_editing_the_same_item(setup):
    """The second writer, on a stale copy, gets the conflict; nothing the first wrote is lost."""
    engine, head, admin, item_id = setup
    with session_scope(engine) as s:
        seen_by_both = s.get(WorkItem, item_id).version
    _report(engine, admin, item_id, seen_by_both, progress=60, note="Văn phòng cập nhật theo báo cáo tuần.")
    with pytest.raises(StaleItem) as err:
        _report(engine, head, item_id, seen_by_both, progress=50, note="Đơn vị báo cáo 50%.")
    conflict = err.value
    assert "Trần Thị Bình" in str(conflict) and "vẫn được giữ nguyên" in str(conflict)
    assert conflict.current_version == seen_by_both + 1
    assert [c for c in conflict.since[0].changes if c[0] == "Tiến độ (%)"] == [("Tiến độ (%)", "20%", "60%")]
    with session_scope(engine) as s:
        item = s.get(WorkItem, item_id)
        assert item.progress == 60
        notes = [h.note for h in item_history(s, actor=admin, item_id=item_id)]
    assert "Văn phòng cập nhật theo báo cáo tuần." in notes and "Đơn vị báo cáo 50%." not in notes
    # The user re-applies on the fresh version: accepted.
    _report(engine, head, item_id, conflict.current_version, progress=65, note="Đơn vị báo cáo 65%.")


def test_racing_writers_the_version_check_in_the_update_catches_the_loser(setup):
    engine, head, admin, item_id = setup
    with session_scope(engine) as first, session_scope(engine) as second:
        # Both pass the version check before either writes.
        for s, actor, pct in ((first, admin, 70), (second, head, 55)):
            s.get(WorkItem, item_id)
        update_progress(first, actor=admin, item_id=item_id, expected_version=1,
                        change=ProgressInput(progress=70), today=TODAY)
        first.commit()
        with pytest.raises(StaleItem):
            update_progress(second, actor=head, item_id=item_id, expected_version=1,
                            change=ProgressInput(progress=55), today=TODAY)
    with session_scope(engine) as s:
        assert s.get(WorkItem, item_id).progress == 70


def test_evidence_file_stored_outside_the_database_with_checksum(setup, tmp_path, monkeypatch):
    engine, head, _, item_id = setup
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    _report(engine, head, item_id, 1, note="Kèm văn bản", files=(Upload("../../Báo cáo.pdf", PDF),))
    with session_scope(engine) as s:
        record = s.scalars(select(EvidenceFile)).one()
        assert record.filename == "Báo cáo.pdf" and record.sha256 == hashlib.sha256(PDF).hexdigest()
        assert evidence.read(record) == PDF
        assert item_history(s, actor=head, item_id=item_id)[-1].files == ["Báo cáo.pdf"]
    assert (tmp_path / "uploads" / record.sha256[:2] / record.sha256).exists()


@pytest.mark.parametrize("upload, message", [
    (Upload("virus.exe", b"MZ..."), "không được phép"),
    (Upload("gia.pdf", b"<html>not a pdf"), "không đúng định dạng"),
    (Upload("lon.pdf", b"%PDF-" + b"0" * (evidence.MAX_BYTES + 1)), "quá lớn"),
    (Upload("rong.png", b""), "rỗng"),
])
def test_bad_files_are_refused(setup, tmp_path, monkeypatch, upload, message):
    engine, head, _, item_id = setup
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    with pytest.raises(ValidationFailed, match=message):
        _report(engine, head, item_id, 1, note="x", files=(upload,))
    assert not (tmp_path / "uploads").exists()


def test_parse_urls():
    assert parse_urls(" https://a.vn/1\nhttps://b.vn/2  https://c.vn/3 ") == (
        "https://a.vn/1", "https://b.vn/2", "https://c.vn/3")
