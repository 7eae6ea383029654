"""Loading a dump's table rows: parsed, inserted in batches under savepoints, the first bad row named.

A message names the table, the line in the table's file and the row's key, never its values
(a users row holds a password hash), and never carries the database's own error text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

from sqlalchemy import Date, DateTime, Integer, Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from tracker.errors import TrackerError

_BATCH = 2_000


class BackupError(TrackerError):
    """A dump that cannot be read or restored here (Vietnamese message)."""


class _RowError(Exception):
    """One row that cannot be loaded: the message names the table, line and key, never the values."""


def _converters(table: Table) -> dict[str, Callable]:
    converters = {}
    for col in table.columns:
        if isinstance(col.type, DateTime):
            converters[col.name] = (dt.datetime.fromisoformat, "ngày giờ")
        elif isinstance(col.type, Date):
            converters[col.name] = (dt.date.fromisoformat, "ngày")
    return converters


def _parse_row(table: Table, converters: dict, line: bytes, sqlite: bool) -> dict:
    try:
        raw = json.loads(line)
    except ValueError:
        raise _RowError("không phải JSON hợp lệ") from None
    if not isinstance(raw, dict):
        raise _RowError("không phải một đối tượng JSON")
    row = {}
    for key, value in raw.items():
        if key not in table.columns:
            continue
        if value is not None and key in converters:
            parse, label = converters[key]
            try:
                value = parse(value)
            except (TypeError, ValueError):
                raise _RowError(f"cột “{key}” không phải {label} hợp lệ") from None
            if sqlite and isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        row[key] = value
    return row


def _db_reason(exc: DBAPIError) -> str:
    """Why the database refused a row, from the error's kind and constraint name only."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    where = getattr(diag, "constraint_name", None) or getattr(diag, "column_name", None)
    if where is None and ":" in str(orig).split("\n")[0]:  # SQLite: "UNIQUE constraint failed: users.username"
        where = str(orig).split("\n")[0].split(":", 1)[1].strip()
    message = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or ""
    if state == "23505" or "unique" in message:
        reason = "trùng giá trị phải là duy nhất"
    elif state == "23503" or "foreign key" in message:
        reason = "tham chiếu tới dòng không có"
    elif state == "23502" or "not null" in message:
        reason = "thiếu giá trị bắt buộc"
    elif state == "23514" or "check constraint" in message:
        reason = "giá trị vi phạm ràng buộc kiểm tra"
    else:
        reason = "giá trị không hợp lệ"
    return f"{reason} ({where})" if where else reason


def _key(table: Table, row: dict) -> str:
    return ", ".join(f"{c.name}={row.get(c.name)!r}" for c in table.primary_key.columns)


def _execute_rows(conn: Connection, table: Table, statement, rows: list[tuple[int, dict]]) -> None:
    """Run the statement for every row under a savepoint; on failure find and name the first bad row."""
    try:
        with conn.begin_nested():
            conn.execute(statement, [r for _, r in rows])
        return
    except DBAPIError:
        pass
    for lineno, row in rows:
        try:
            with conn.begin_nested():
                conn.execute(statement, row)
        except DBAPIError as exc:
            raise BackupError(f"Bảng “{table.name}”, dòng {lineno} ({_key(table, row)}): {_db_reason(exc)}. "
                              "Cơ sở dữ liệu đang dùng không bị thay đổi.") from None
    raise BackupError(f"Bảng “{table.name}”: không nạp được các dòng {rows[0][0]}–{rows[-1][0]}. "
                      "Cơ sở dữ liệu đang dùng không bị thay đổi.")


def load_table(conn: Connection, table: Table, lines: Iterator[bytes]) -> int:
    converters = _converters(table)
    sqlite = conn.dialect.name == "sqlite"
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]
    pk = [c.name for c in table.primary_key.columns]
    deferred: list[tuple[int, dict]] = []
    batch: list[tuple[int, dict]] = []
    n = 0
    for n, line in enumerate(lines, start=1):
        try:
            row = _parse_row(table, converters, line, sqlite)
        except _RowError as exc:
            raise BackupError(f"Bảng “{table.name}”, dòng {n}: {exc}. Cơ sở dữ liệu đang dùng không bị thay đổi.") \
                from None
        if self_refs and any(row.get(c) is not None for c in self_refs):
            deferred.append((n, {**{f"k_{k}": row.get(k) for k in pk}, **{c: row[c] for c in self_refs}}))
            row = {**row, **{c: None for c in self_refs}}
        batch.append((n, row))
        if len(batch) >= _BATCH:
            _execute_rows(conn, table, table.insert(), batch)
            batch = []
    if batch:
        _execute_rows(conn, table, table.insert(), batch)
    if deferred:
        update = table.update().where(*[table.c[k] == bindparam(f"k_{k}") for k in pk]) \
            .values({c: bindparam(c) for c in self_refs})
        _execute_rows(conn, table, update, deferred)
    return n


def fix_sequences(conn: Connection, tables: list[Table]) -> None:
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
