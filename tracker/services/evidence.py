"""Evidence files: checked for size, type and quota, stored outside the database by SHA-256.

A store that fails (disk full) leaves nothing behind: no partial temporary file, no file written
earlier in the same report, and the caller's transaction rolls back. Files the database never
recorded (the transaction rolled back after they were written) are removed too.
"""

from __future__ import annotations

import errno
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, TrackerError
from tracker.models import EvidenceFile, WorkItem
from tracker.permissions import Action, require
from tracker.text import strip_controls

from tracker.config import DATA_DIR

MAX_BYTES = int(os.environ.get("TRACKER_MAX_UPLOAD_MB", "10")) * 1024 * 1024
MAX_FILES = 5
# Quotas on the evidence recorded for one item and for all items a unit leads.
ITEM_QUOTA_BYTES = int(os.environ.get("TRACKER_EVIDENCE_ITEM_QUOTA_MB", "100")) * 1024 * 1024
UNIT_QUOTA_BYTES = int(os.environ.get("TRACKER_EVIDENCE_UNIT_QUOTA_MB", "2000")) * 1024 * 1024
DISK_FULL = ("Máy chủ hết dung lượng lưu trữ nên chưa lưu được tệp minh chứng; báo cáo này chưa được ghi. "
             "Vui lòng báo quản trị hệ thống, rồi gửi lại.")
WRITE_FAILED = ("Không ghi được tệp minh chứng lên máy chủ; báo cáo này chưa được ghi. "
                "Vui lòng thử lại hoặc báo quản trị hệ thống.")


class StorageFailed(TrackerError):
    """The evidence could not be written to disk (full, read-only); nothing of the report was kept."""
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# extension -> (content type, the bytes such a file starts with)
ALLOWED = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (_ZIP,)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (_ZIP,)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
ALLOWED_LABEL = ", ".join(e.lstrip(".").upper() for e in ALLOWED)


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def upload_dir() -> Path:
    return Path(os.environ.get("TRACKER_UPLOAD_DIR") or DATA_DIR / "uploads")


MAX_NAME = 200


def safe_name(filename: str) -> str:
    """The file's own name without any path, control or invisible characters, at most MAX_NAME characters.

    A long name is cut before its extension, so "….pdf" stays a PDF (and the type check sees it).
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = strip_controls(name).strip().lstrip(".")
    if len(name) > MAX_NAME:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 10 else ""
        name = stem[:MAX_NAME - len(ext)].rstrip() + ext
    return name or "tep-minh-chung"


def file_problems(files: list[Upload]) -> list[str]:
    """Why these uploads are refused (Vietnamese), or an empty list."""
    problems = []
    if len(files) > MAX_FILES:
        problems.append(f"Tối đa {MAX_FILES} tệp minh chứng mỗi lần báo cáo.")
    for f in files:
        name = safe_name(f.filename)
        ext = Path(name).suffix.lower()
        if ext not in ALLOWED:
            problems.append(f"Tệp “{name}”: loại tệp không được phép. Chỉ nhận: {ALLOWED_LABEL}.")
        elif len(f.data) > MAX_BYTES:
            problems.append(f"Tệp “{name}” quá lớn ({len(f.data) / 1048576:.1f} MB); tối đa {MAX_BYTES // 1048576} MB.")
        elif not f.data:
            problems.append(f"Tệp “{name}” rỗng.")
        elif not f.data.startswith(ALLOWED[ext][1]):
            problems.append(f"Tệp “{name}”: nội dung không đúng định dạng {ext.lstrip('.').upper()}.")
    return problems


def quota_problems(session: Session, *, item: WorkItem, files: list[Upload]) -> list[str]:
    """Why these uploads would pass the item's or the unit's evidence quota (Vietnamese), or an empty list."""
    adding = sum(len(f.data) for f in files)
    if not adding:
        return []
    on_item = session.scalar(select(func.coalesce(func.sum(EvidenceFile.size_bytes), 0))
                             .where(EvidenceFile.work_item_id == item.id))
    problems = []
    if on_item + adding > ITEM_QUOTA_BYTES:
        problems.append(f"Công việc này đã có {on_item / 1048576:.1f} MB tệp minh chứng; thêm {adding / 1048576:.1f} MB "
                        f"sẽ vượt hạn mức {ITEM_QUOTA_BYTES // 1048576} MB mỗi công việc. Hãy dùng đường dẫn "
                        "minh chứng thay cho tệp.")
    on_unit = session.scalar(select(func.coalesce(func.sum(EvidenceFile.size_bytes), 0))
                             .join(WorkItem, WorkItem.id == EvidenceFile.work_item_id)
                             .where(WorkItem.lead_unit_id == item.lead_unit_id))
    if on_unit + adding > UNIT_QUOTA_BYTES:
        problems.append(f"Đơn vị chủ trì đã dùng {on_unit / 1048576:.0f} MB tệp minh chứng; thêm tệp này sẽ vượt hạn "
                        f"mức {UNIT_QUOTA_BYTES // 1048576} MB mỗi đơn vị. Hãy dùng đường dẫn minh chứng hoặc báo "
                        "quản trị hệ thống.")
    return problems


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _write(target: Path, data: bytes) -> None:
    """Write through a temporary file beside the target; on any error the temporary file is removed."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except BaseException:
        _remove([tmp])
        raise


def _remove_on_rollback(session: Session, paths: list[Path]) -> None:
    def rolled_back(_session) -> None:
        event.remove(session, "after_commit", committed)
        _remove(paths)

    def committed(_session) -> None:
        event.remove(session, "after_rollback", rolled_back)

    event.listen(session, "after_rollback", rolled_back, once=True)
    event.listen(session, "after_commit", committed, once=True)


def keep(session: Session, data: bytes, *, root: Path | None = None) -> str:
    """Write the bytes once under root/ab/abcdef... (by checksum) and return the checksum. If the session's
    transaction rolls back, a file this call wrote is removed (no orphan files).

    Raises:
        StorageFailed: the file could not be written.
    """
    root = root or upload_dir()
    digest = hashlib.sha256(data).hexdigest()
    target = root / digest[:2] / digest
    if target.exists():
        return digest
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(target, data)
    except OSError as exc:
        raise StorageFailed(DISK_FULL if exc.errno in (errno.ENOSPC, errno.EDQUOT) else WRITE_FAILED) from None
    _remove_on_rollback(session, [target])
    return digest


def store(session: Session, *, work_item_id: int, event_id: int, uploaded_by_id: int,
          files: list[Upload], root: Path | None = None) -> list[EvidenceFile]:
    """Keep each file's bytes (`keep`) and record it. Files must be checked first.

    Raises:
        StorageFailed: a file could not be written; the files this call wrote are removed.
    """
    root = root or upload_dir()
    records, written = [], []
    for f in files:
        digest = hashlib.sha256(f.data).hexdigest()
        target = root / digest[:2] / digest
        existed = target.exists()
        try:
            keep(session, f.data, root=root)
        except StorageFailed:
            _remove(written)
            raise
        if not existed:
            written.append(target)
        name = safe_name(f.filename)
        record = EvidenceFile(work_item_id=work_item_id, event_id=event_id, filename=name,
                              content_type=ALLOWED[Path(name).suffix.lower()][0], size_bytes=len(f.data),
                              sha256=digest, uploaded_by_id=uploaded_by_id)
        session.add(record)
        records.append(record)
    session.flush()
    return records


def read_kept(sha256: str, root: Path | None = None) -> bytes:
    """Bytes kept by `keep`, verified against their checksum."""
    data = ((root or upload_dir()) / sha256[:2] / sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("Tệp lưu trữ đã bị thay đổi trên đĩa (sai mã kiểm tra).")
    return data


def read(record: EvidenceFile, root: Path | None = None) -> bytes:
    """The stored bytes, verified against the recorded checksum."""
    data = ((root or upload_dir()) / record.sha256[:2] / record.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise ValueError("Tệp minh chứng đã bị thay đổi trên đĩa (sai mã kiểm tra).")
    return data


def _viewable(session: Session, actor, file_id: int) -> EvidenceFile:
    record = session.get(EvidenceFile, file_id)
    if record is None:
        raise NotFound("Không tìm thấy tệp minh chứng.")
    require(actor, Action.VIEW_ITEM, session.get(WorkItem, record.work_item_id))
    return record


def _missing(record: EvidenceFile) -> NotFound:
    return NotFound(f"Tệp “{record.filename}” không còn trên máy chủ; vui lòng báo quản trị hệ thống.")


def check_file(session: Session, *, actor, file_id: int) -> EvidenceFile:
    """The record of an evidence file the actor may see and whose bytes are on disk, without reading them.

    Raises:
        NotFound: no such file, or its bytes are missing. PermissionDenied: may not view the item.
    """
    record = _viewable(session, actor, file_id)
    if not (upload_dir() / record.sha256[:2] / record.sha256).is_file():
        raise _missing(record)
    return record


def load_file(session: Session, *, actor, file_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of an evidence file the actor may see: read when downloaded, not on view.

    Raises:
        NotFound: no such file, or its bytes are missing. PermissionDenied: may not view the item.
    """
    record = _viewable(session, actor, file_id)
    try:
        return record.filename, record.content_type, read(record)
    except FileNotFoundError:
        raise _missing(record) from None
