"""Evidence files: checked for size and type, stored outside the database by SHA-256."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import EvidenceFile, WorkItem
from tracker.permissions import Action, require
from tracker.text import strip_controls

from tracker.config import DATA_DIR

MAX_BYTES = int(os.environ.get("TRACKER_MAX_UPLOAD_MB", "10")) * 1024 * 1024
MAX_FILES = 5
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


def store(session: Session, *, work_item_id: int, event_id: int, uploaded_by_id: int,
          files: list[Upload], root: Path | None = None) -> list[EvidenceFile]:
    """Write each file once under root/ab/abcdef... (by checksum) and record it. Files must be checked first."""
    root = root or upload_dir()
    records = []
    for f in files:
        digest = hashlib.sha256(f.data).hexdigest()
        target = root / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(f.data)
            os.replace(tmp, target)
        name = safe_name(f.filename)
        record = EvidenceFile(work_item_id=work_item_id, event_id=event_id, filename=name,
                              content_type=ALLOWED[Path(name).suffix.lower()][0], size_bytes=len(f.data),
                              sha256=digest, uploaded_by_id=uploaded_by_id)
        session.add(record)
        records.append(record)
    session.flush()
    return records


def read(record: EvidenceFile, root: Path | None = None) -> bytes:
    """The stored bytes, verified against the recorded checksum."""
    data = ((root or upload_dir()) / record.sha256[:2] / record.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise ValueError("Tệp minh chứng đã bị thay đổi trên đĩa (sai mã kiểm tra).")
    return data


def load_file(session: Session, *, actor, file_id: int) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of an evidence file the actor may see.

    Raises:
        NotFound: no such file, or its bytes are missing. PermissionDenied: may not view the item.
    """
    record = session.get(EvidenceFile, file_id)
    if record is None:
        raise NotFound("Không tìm thấy tệp minh chứng.")
    require(actor, Action.VIEW_ITEM, session.get(WorkItem, record.work_item_id))
    try:
        return record.filename, record.content_type, read(record)
    except FileNotFoundError:
        raise NotFound(f"Tệp “{record.filename}” không còn trên máy chủ; vui lòng báo quản trị hệ thống.") from None
