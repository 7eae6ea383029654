"""Backup and restore: a portable dump that any tool can read, restorable into a newer schema.

The dump is a ZIP file holding `manifest.json` (format, schema revision, time, row count and
SHA-256 of every table file) and one `tables/<name>.jsonl` per table: one JSON object per row,
dates and times as ISO 8601 text (times in UTC), so it can be read with a text editor, Python,
or `jq`, without the app. Evidence files (stored outside the database) go under `files/` when
their folder is given.

Restore checks every checksum first, migrates the target to the dump's schema revision, inserts
every row in one transaction (self-references filled in afterwards), moves PostgreSQL sequences
past the restored ids, then migrates to the newest schema. The target must be empty unless
`replace=True`, which first drops every table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Date, DateTime, Integer, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from tracker.errors import TrackerError
from tracker.migrate import alembic_config, current_revision, upgrade

FORMAT = "tracker-backup/1"
_SKIP = {"alembic_version"}
_BATCH = 2_000

Progress = Callable[[str, int], None]


class BackupError(TrackerError):
    """A dump that cannot be read or restored here (Vietnamese message)."""


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
        if files_dir is not None and Path(files_dir).is_dir():
            for f in sorted(p for p in Path(files_dir).rglob("*") if p.is_file()):
                zf.write(f, f"files/{f.relative_to(files_dir).as_posix()}")
                file_count += 1
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "schema_revision": revision,
            "dialect": engine.dialect.name,
            "tables": {name: {"rows": counts[name], "sha256": checksums[name]} for name in counts},
            "files": file_count,
        }
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    tmp.replace(path)
    return BackupSummary(revision=revision, tables=counts, files=file_count)


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


def _drop_all(engine: Engine) -> None:
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(bind=conn)
        meta.drop_all(bind=conn)
        if conn.dialect.name == "postgresql":
            # Enum types outlive their tables on PostgreSQL.
            for (name,) in conn.execute(text(
                    "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE t.typtype = 'e' AND n.nspname = current_schema()")):
                conn.execute(text(f'DROP TYPE IF EXISTS "{name}" CASCADE'))


def _from_json(table: Table) -> Callable[[dict], dict]:
    converters = {}
    for col in table.columns:
        if isinstance(col.type, DateTime):
            converters[col.name] = lambda v: dt.datetime.fromisoformat(v)
        elif isinstance(col.type, Date):
            converters[col.name] = lambda v: dt.date.fromisoformat(v)

    def convert(row: dict) -> dict:
        return {k: (converters[k](v) if v is not None and k in converters else v)
                for k, v in row.items() if k in table.columns}

    return convert


def _naive_utc(row: dict, table: Table) -> dict:
    for col in table.columns:
        value = row.get(col.name)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            row[col.name] = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return row


def _self_refs(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]


def _load_table(conn: Connection, table: Table, lines: Iterator[bytes]) -> int:
    convert = _from_json(table)
    self_refs = _self_refs(table)
    pk = [c.name for c in table.primary_key.columns]
    deferred: list[dict] = []
    batch: list[dict] = []
    n = 0
    for line in lines:
        row = convert(json.loads(line))
        if conn.dialect.name == "sqlite":
            row = _naive_utc(row, table)
        if self_refs and any(row.get(c) is not None for c in self_refs):
            deferred.append({**{k: row[k] for k in pk}, **{c: row[c] for c in self_refs}})
            row = {**row, **{c: None for c in self_refs}}
        batch.append(row)
        n += 1
        if len(batch) >= _BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for ref in deferred:
        where = [table.c[k] == ref[k] for k in pk]
        conn.execute(table.update().where(*where).values({c: ref[c] for c in self_refs}))
    return n


def _fix_sequences(conn: Connection, tables: list[Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                           {"t": table.name, "c": pk[0].name}).scalar()
        if seq:
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{pk[0].name}") FROM "{table.name}"), 0) + 1, '
                              "false)"), {"s": seq})


def restore(engine: Engine, path: Path, *, replace: bool = False, files_dir: Path | None = None,
            progress: Progress | None = None) -> BackupSummary:
    """Load the dump at `path` into `engine`'s database and migrate it to the newest schema.

    Raises:
        BackupError: unreadable or damaged file, or a non-empty target without `replace`.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"Không đọc được tệp sao lưu “{path}”: không phải tệp ZIP hợp lệ.") from exc
    with zf:
        manifest = read_manifest(zf)
        revision = manifest.get("schema_revision")
        if revision and revision not in known_revisions(engine):
            raise BackupError(f"Bản sao lưu thuộc phiên bản lược đồ “{revision}”, mới hơn hoặc khác phiên bản "
                              "ứng dụng này: hãy cập nhật ứng dụng trước khi khôi phục.")
        if inspect(engine).get_table_names():
            if not _is_empty(engine) and not replace:
                raise BackupError("Cơ sở dữ liệu đích đã có dữ liệu. Dùng --replace để xóa toàn bộ và thay bằng "
                                  "bản sao lưu.")
            _drop_all(engine)
        if revision:
            upgrade(engine, revision)
        counts = {}
        with engine.begin() as conn:
            tables = _reflect(conn)
            known = {t.name for t in tables}
            missing = set(manifest["tables"]) - known
            if missing:
                raise BackupError("Bản sao lưu có bảng không có trong lược đồ phiên bản "
                                  f"{revision}: {', '.join(sorted(missing))}.")
            for table in tables:
                if table.name not in manifest["tables"]:
                    continue
                with zf.open(f"tables/{table.name}.jsonl") as fh:
                    counts[table.name] = _load_table(conn, table, iter(fh))
                if progress:
                    progress(table.name, counts[table.name])
            _fix_sequences(conn, tables)
        upgrade(engine)
        file_count = 0
        if files_dir is not None:
            for name in zf.namelist():
                if name.startswith("files/") and not name.endswith("/"):
                    rel = Path(name[len("files/"):])
                    if rel.is_absolute() or ".." in rel.parts:
                        continue
                    target = Path(files_dir) / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(name))
                    file_count += 1
    return BackupSummary(revision=revision, tables=counts, files=file_count)
