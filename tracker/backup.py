"""Backup and restore: a portable dump that any tool can read, restorable into a newer schema.

The dump is a ZIP file holding `manifest.json` (format, schema revision, time, row count and
SHA-256 of every table file) and one `tables/<name>.jsonl` per table: one JSON object per row,
dates and times as ISO 8601 text (times in UTC), so it can be read with a text editor, Python,
or `jq`, without the app. Evidence files (stored outside the database) go under `files/` when
their folder is given.

`manifest.sig` holds an HMAC-SHA256 of `manifest.json` with the server's backup key
(`tracker.config.backup_key`); the manifest holds the SHA-256 of every table and file, so an
edited dump (a viewer made admin) fails the signature unless the restore trusts unsigned dumps.

Restore is all or nothing. It checks the checksums and the signature, then builds the new
database where the live one cannot see it: on PostgreSQL in one transaction (tables dropped,
migrated to the dump's revision, every row inserted, migrated to the newest schema: DDL is
transactional there), on SQLite in a fresh file next to the live one, copied over the live file
with SQLite's backup API only when everything loaded. Any bad row stops it with the table, line
and key named (never the row's values: they may hold password hashes). Evidence files are
unpacked to a staging folder first and moved into place only after the database is switched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.config import backup_key
from tracker.db import make_engine
from tracker.backup_rows import BackupError, fix_sequences, load_table
from tracker.migrate import alembic_config, current_revision, upgrade_in

FORMAT = "tracker-backup/1"
SIGNATURE = "manifest.sig"
SQLITE_SWITCH_WAIT_S = 10  # how long a SQLite restore waits for other writers before it gives up
_SKIP = {"alembic_version"}

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class BackupSummary:
    revision: str | None
    tables: dict[str, int]
    files: int


def _reflect(conn: Connection) -> list[Table]:
    meta = MetaData()
    meta.reflect(bind=conn)
    return [t for t in meta.sorted_tables if t.name not in _SKIP]


def _to_json(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite keeps UTC without an offset
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows(conn: Connection, table: Table) -> Iterator[dict]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield {key: _to_json(value) for key, value in row.items()}


def dump_tables(engine: Engine) -> dict[str, list[dict]]:
    """Every table's rows as JSON-ready dicts, in key order (also how tests compare databases)."""
    with engine.connect() as conn:
        return {t.name: list(_rows(conn, t)) for t in _reflect(conn)}


def backup(engine: Engine, path: Path, *, files_dir: Path | None = None,
           progress: Progress | None = None) -> BackupSummary:
    """Write the whole database (and evidence files, if `files_dir`) to the ZIP file `path`."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    counts: dict[str, int] = {}
    checksums: dict[str, str] = {}
    file_count = 0
    with engine.connect() as conn, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        revision = current_revision(engine)
        for table in _reflect(conn):
            digest = hashlib.sha256()
            n = 0
            with zf.open(f"tables/{table.name}.jsonl", "w") as out:
                for row in _rows(conn, table):
                    line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode()
                    digest.update(line)
                    out.write(line)
                    n += 1
            counts[table.name] = n
            checksums[table.name] = digest.hexdigest()
            if progress:
                progress(table.name, n)
        file_sums = {}
        if files_dir is not None and Path(files_dir).is_dir():
            for f in sorted(p for p in Path(files_dir).rglob("*") if p.is_file()):
                rel = f.relative_to(files_dir).as_posix()
                zf.write(f, f"files/{rel}")
                file_sums[rel] = _file_sha256(f)
                file_count += 1
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "schema_revision": revision,
            "dialect": engine.dialect.name,
            "tables": {name: {"rows": counts[name], "sha256": checksums[name]} for name in counts},
            "files": file_count,
            "file_sha256": file_sums,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        zf.writestr("manifest.json", manifest_bytes)
        zf.writestr(SIGNATURE, sign(manifest_bytes))
    tmp.replace(path)
    return BackupSummary(revision=revision, tables=counts, files=file_count)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sign(manifest_bytes: bytes) -> str:
    """The HMAC-SHA256 (hex) of the manifest with this server's backup key."""
    return hmac.new(backup_key(), manifest_bytes, hashlib.sha256).hexdigest()


def check_signature(zf: zipfile.ZipFile) -> None:
    """Raises BackupError unless manifest.sig is the HMAC of manifest.json under this server's key."""
    try:
        given = zf.read(SIGNATURE).decode("ascii", "replace").strip()
    except KeyError:
        given = ""
    if not hmac.compare_digest(given, sign(zf.read("manifest.json"))):
        raise BackupError("Bản sao lưu không có chữ ký hoặc chữ ký không khớp khóa sao lưu của máy chủ này "
                          "(TRACKER_BACKUP_KEY): tệp có thể đã bị sửa. Chỉ khôi phục khi chắc chắn về nguồn gốc "
                          "của tệp, với tùy chọn --trust-unsigned.")


def read_manifest(zf: zipfile.ZipFile) -> dict:
    """The manifest, with every table file checked against its row count and checksum."""
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError("Tệp sao lưu không hợp lệ: thiếu hoặc hỏng manifest.json.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Tệp sao lưu không đúng định dạng (cần {FORMAT}, có {manifest.get('format')!r}).")
    for name, info in manifest["tables"].items():
        try:
            data = zf.read(f"tables/{name}.jsonl")
        except KeyError as exc:
            raise BackupError(f"Tệp sao lưu thiếu bảng “{name}”.") from exc
        if hashlib.sha256(data).hexdigest() != info["sha256"] or data.count(b"\n") != info["rows"]:
            raise BackupError(f"Dữ liệu bảng “{name}” trong tệp sao lưu bị hỏng (sai mã kiểm tra).")
    return manifest


def known_revisions(engine: Engine) -> set[str]:
    """Every migration revision this version of the app knows."""
    return {r.revision for r in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()}


def _is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        for table in _reflect(conn):
            if conn.execute(select(func.count()).select_from(table)).scalar():
                return False
    return True


def _drop_all(conn: Connection) -> None:
    meta = MetaData()
    meta.reflect(bind=conn)
    meta.drop_all(bind=conn)
    if conn.dialect.name == "postgresql":
        # Enum types outlive their tables on PostgreSQL.
        for (name,) in conn.execute(text(
                "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE t.typtype = 'e' AND n.nspname = current_schema()")).all():
            conn.execute(text(f'DROP TYPE IF EXISTS "{name}" CASCADE'))


def _migrate(conn: Connection, revision: str) -> None:
    try:
        upgrade_in(conn, revision)
    except SQLAlchemyError as exc:
        raise BackupError(f"Không nâng cấp được lược đồ lên phiên bản “{revision}” ({type(exc).__name__}). "
                          "Cơ sở dữ liệu đang dùng không bị thay đổi.") from None


def _load(conn: Connection, zf: zipfile.ZipFile, manifest: dict, progress: Progress | None) -> dict[str, int]:
    """In the caller's transaction, on an empty database: the dump's schema, its rows, then the newest schema."""
    revision = manifest["schema_revision"]
    _migrate(conn, revision)
    tables = _reflect(conn)
    missing = set(manifest["tables"]) - {t.name for t in tables}
    if missing:
        raise BackupError("Bản sao lưu có bảng không có trong lược đồ phiên bản "
                          f"{revision}: {', '.join(sorted(missing))}.")
    counts = {}
    for table in tables:
        if table.name not in manifest["tables"]:
            continue
        with zf.open(f"tables/{table.name}.jsonl") as fh:
            counts[table.name] = load_table(conn, table, iter(fh))
        if progress:
            progress(table.name, counts[table.name])
    fix_sequences(conn, tables)
    _migrate(conn, "head")
    return counts


def _restore_postgresql(engine: Engine, zf: zipfile.ZipFile, manifest: dict, progress) -> dict[str, int]:
    """One transaction: PostgreSQL rolls back the dropped tables too if any row or migration fails."""
    with engine.connect() as conn:
        with conn.begin():
            _drop_all(conn)
            return _load(conn, zf, manifest, progress)


def _restore_sqlite(engine: Engine, zf: zipfile.ZipFile, manifest: dict, progress) -> dict[str, int]:
    """Build the database in a fresh file beside the live one; copy it over the live one only when complete."""
    live = engine.url.database
    folder = Path(live).parent if live and live != ":memory:" else None
    fd, staging = tempfile.mkstemp(prefix=".restore-", suffix=".sqlite3", dir=folder)
    os.close(fd)
    stage = make_engine(f"sqlite:///{staging}")
    try:
        with stage.connect() as conn:
            with conn.begin():
                counts = _load(conn, zf, manifest, progress)
        deadline = time.monotonic() + SQLITE_SWITCH_WAIT_S

        def give_up_when_busy(status: int, _remaining: int, _total: int) -> None:
            if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
                raise sqlite3.OperationalError("database is locked")  # Python would otherwise retry forever

        try:  # one step: SQLite writes every page in one transaction on the live file, or none
            with stage.connect() as src_conn, engine.connect() as dst_conn:
                src_conn.connection.driver_connection.backup(dst_conn.connection.driver_connection,
                                                             progress=give_up_when_busy)
        except sqlite3.Error:
            raise BackupError("Cơ sở dữ liệu đang được dùng (có phiên đang ghi hoặc đọc dài) nên chưa thay được; "
                              "không có gì thay đổi. Hãy dừng ứng dụng rồi chạy lại lệnh khôi phục.") from None
        return counts
    finally:
        stage.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(staging + suffix).unlink(missing_ok=True)


def _dump_files(zf: zipfile.ZipFile) -> list[tuple[str, Path]]:
    files = []
    for name in zf.namelist():
        if name.startswith("files/") and not name.endswith("/"):
            rel = Path(name[len("files/"):])
            if rel.is_absolute() or ".." in rel.parts:
                continue
            files.append((name, rel))
    return files


def _stage_files(zf: zipfile.ZipFile, manifest: dict, files_dir: Path) -> tuple[Path, list[Path]]:
    """Unpack the evidence files to a staging folder beside files_dir, after checking for clashes.

    A file already in files_dir with the same name and other bytes is a clash: refused before
    anything is written. The same name with the same bytes is left as it is.
    """
    sums = manifest.get("file_sha256") or {}
    todo = []
    for name, rel in _dump_files(zf):
        data_sum = hashlib.sha256(zf.read(name)).hexdigest()
        if rel.as_posix() in sums and sums[rel.as_posix()] != data_sum:
            raise BackupError(f"Tệp minh chứng “{rel.as_posix()}” trong bản sao lưu bị hỏng (sai mã kiểm tra).")
        existing = files_dir / rel
        if existing.exists():
            if not existing.is_file() or _file_sha256(existing) != data_sum:
                raise BackupError(f"Tệp minh chứng “{rel.as_posix()}” đã có trong {files_dir} với nội dung khác; "
                                  "không khôi phục gì. Hãy chuyển tệp đó đi rồi chạy lại.")
            continue
        todo.append((name, rel))
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{files_dir.name}.restore-", dir=files_dir.parent))
    for name, rel in todo:
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(name) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return staging, [rel for _, rel in todo]


def _move_staged(staging: Path, files: list[Path], files_dir: Path) -> None:
    for rel in files:
        target = files_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, target)
    shutil.rmtree(staging, ignore_errors=True)


def restore(engine: Engine, path: Path, *, replace: bool = False, files_dir: Path | None = None,
            progress: Progress | None = None, trust_unsigned: bool = False) -> BackupSummary:
    """Load the dump at `path` into `engine`'s database and migrate it to the newest schema: all or nothing.

    Raises:
        BackupError: unreadable, damaged or unsigned file, a bad row (table and line named), a file
            clash, or a non-empty target without `replace`. The live database and files are untouched.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"Không đọc được tệp sao lưu “{path}”: không phải tệp ZIP hợp lệ.") from exc
    with zf:
        manifest = read_manifest(zf)
        if not trust_unsigned:
            check_signature(zf)
        revision = manifest.get("schema_revision")
        if not revision:
            raise BackupError("Bản sao lưu không ghi phiên bản lược đồ (schema_revision): không biết nạp vào "
                              "lược đồ nào, nên không khôi phục gì.")
        if revision not in known_revisions(engine):
            raise BackupError(f"Bản sao lưu thuộc phiên bản lược đồ “{revision}”, mới hơn hoặc khác phiên bản "
                              "ứng dụng này: hãy cập nhật ứng dụng trước khi khôi phục.")
        if inspect(engine).get_table_names() and not replace and not _is_empty(engine):
            raise BackupError("Cơ sở dữ liệu đích đã có dữ liệu. Dùng --replace để xóa toàn bộ và thay bằng "
                              "bản sao lưu.")
        staged = _stage_files(zf, manifest, Path(files_dir)) if files_dir is not None else None
        file_count = len(_dump_files(zf)) if staged else 0
        try:
            load = _restore_postgresql if engine.dialect.name == "postgresql" else _restore_sqlite
            counts = load(engine, zf, manifest, progress)
        except BaseException:
            if staged:
                shutil.rmtree(staged[0], ignore_errors=True)
            raise
    if staged:
        _move_staged(staged[0], staged[1], Path(files_dir))
    return BackupSummary(revision=revision, tables=counts, files=file_count)
