"""Evidence on disk: a full disk leaves nothing behind, quotas per item and unit, files read only when downloaded."""

import errno
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from tests.factories import sign_in
from tests.item_factories import make_item
from tests.test_progress import PDF, _report, setup  # noqa: F401  (setup is a fixture)
from tracker.db import session_scope
from tracker.errors import ValidationFailed
from tracker.models import EvidenceFile, ProgressEvent, User, WorkItem
from tracker.services import evidence
from tracker.services.evidence import StorageFailed, Upload

APP = Path(__file__).resolve().parent.parent / "app.py"


def _state(engine, item_id):
    with session_scope(engine) as s:
        return (s.get(WorkItem, item_id).version, s.scalar(select(func.count()).select_from(ProgressEvent)),
                s.scalar(select(func.count()).select_from(EvidenceFile)))


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_full_disk_leaves_no_file_no_tmp_and_no_row(setup, tmp_path, monkeypatch):  # noqa: F811
    engine, head, _, item_id = setup
    uploads = tmp_path / "uploads"
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(uploads))
    real_write = Path.write_bytes
    calls = []

    def write_until_full(path, data):
        calls.append(path)
        if len(calls) == 2:  # the second file: half written, then the disk is full
            real_write(path, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(Path, "write_bytes", write_until_full)
    before = _state(engine, item_id)
    with pytest.raises(StorageFailed, match="hết dung lượng lưu trữ"):
        _report(engine, head, item_id, 1, progress=40, note="Kèm hai văn bản",
                files=(Upload("mot.pdf", PDF + b"1"), Upload("hai.pdf", PDF + b"2")))
    assert len(calls) == 2
    assert _files(uploads) == []  # neither the first file (an orphan) nor the partial .tmp
    assert _state(engine, item_id) == before


def test_files_of_a_report_whose_transaction_rolls_back_are_removed(setup, tmp_path, monkeypatch):  # noqa: F811
    engine, head, _, item_id = setup
    uploads = tmp_path / "uploads"
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(uploads))
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        from tracker.services.progress import ProgressInput, update_progress

        update_progress(s, actor=head, item_id=item_id, expected_version=1, change=ProgressInput(note="x"),
                        today=None, files=[Upload("a.pdf", PDF)])
        assert len(_files(uploads)) == 1
        raise RuntimeError("the commit fails")
    assert _files(uploads) == []
    _report(engine, head, item_id, 1, note="Lần này lưu được", files=(Upload("a.pdf", PDF),))
    assert len(_files(uploads)) == 1  # a committed report keeps its file


def test_quota_per_item_and_per_unit(setup, tmp_path, monkeypatch):  # noqa: F811
    engine, head, _, item_id = setup
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setattr(evidence, "ITEM_QUOTA_BYTES", 3000)
    monkeypatch.setattr(evidence, "UNIT_QUOTA_BYTES", 5000)
    _report(engine, head, item_id, 1, note="Tệp 1", files=(Upload("a.pdf", PDF + b"a" * 2000),))
    with pytest.raises(ValidationFailed, match="vượt hạn mức 0 MB mỗi công việc"):
        _report(engine, head, item_id, 2, note="Tệp 2", files=(Upload("b.pdf", PDF + b"b" * 2000),))
    with session_scope(engine) as s:
        second = make_item(s, unit_code="VU-TCBC", title="Việc thứ hai của Vụ").id
        third = make_item(s, unit_code="VU-TCBC", title="Việc thứ ba của Vụ").id
    _report(engine, head, second, 1, note="Tệp 3", files=(Upload("c.pdf", PDF + b"c" * 2500),))
    with pytest.raises(ValidationFailed, match="mỗi đơn vị"):
        _report(engine, head, third, 1, note="Tệp 4", files=(Upload("d.pdf", PDF + b"d" * 1000),))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFile)) == 2


def test_the_item_page_reads_no_evidence_file_until_it_is_downloaded(setup, db_env, tmp_path, monkeypatch):  # noqa: F811
    engine, head, _, item_id = setup
    monkeypatch.setenv("TRACKER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("TRACKER_TODAY", "2024-08-01")
    _report(engine, head, item_id, 1, note="Kèm văn bản", files=(Upload("Báo cáo.pdf", PDF),))
    reads = []
    real_read = evidence.read
    monkeypatch.setattr(evidence, "read", lambda *a, **kw: reads.append(1) or real_read(*a, **kw))
    with session_scope(engine) as s:
        user = s.scalars(select(User).where(User.username == "truong.tcbc")).one()
    at = AppTest.from_file(str(APP), default_timeout=30)
    sign_in(at, user)
    at.run()
    at.query_params.clear()
    at.query_params.update({"id": str(item_id)})
    at.switch_page("pages/item.py")
    at.run()
    assert not at.exception, at.exception
    assert "Tệp minh chứng" in "\n".join(m.value for m in at.markdown)
    assert reads == []
