"""The built-in catalog in data/: plans and priority tasks, units, forms and channels.

Files are TOML, human-editable. Loading validates every record first and reports every
problem at once (file, record, field, reason in Vietnamese); nothing is written when any
record is wrong. Loading is idempotent: records are keyed by code (tasks by plan + number),
unchanged records are not touched, edited ones are updated in place.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import DATA_DIR
from tracker.models import Channel, Form, Numbering, Plan, PriorityTask, Unit, UnitKind
from tracker.text import fold, nfc, roman

UNITS_FILE = "units.toml"
FORMS_FILE = "forms.toml"
PLANS_FILE = "plans.toml"
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} › {self.record}" + (f" › {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """The catalog files have problems; nothing was loaded."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Danh mục có {len(problems)} lỗi, chưa nạp gì:\n{lines}")


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        parts = [
            f"{k}: +{self.created[k]} mới, {self.updated[k]} cập nhật, {self.unchanged[k]} giữ nguyên"
            for k in kinds
        ]
        return "; ".join(parts)


class _Checker:
    """Collects problems while reading raw TOML records into clean dicts."""

    def __init__(self) -> None:
        self.problems: list[CatalogProblem] = []

    def add(self, file: str, record: str, fld: str, message: str) -> None:
        self.problems.append(CatalogProblem(file, record, fld, message))

    def text(self, raw: dict, key: str, file: str, rec: str, *, required: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                self.add(file, rec, key, "thiếu trường bắt buộc")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(file, rec, key, "phải là chuỗi văn bản không rỗng")
            return None
        return nfc(value)

    def date(self, raw: dict, key: str, file: str, rec: str) -> dt.date | None:
        value = raw.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.add(file, rec, key, f"phải là ngày dạng YYYY-MM-DD, không phải {value!r}")
        return None

    def code(self, raw: dict, file: str, rec: str) -> str | None:
        value = raw.get("code")
        if not isinstance(value, str) or not _CODE.match(value):
            self.add(file, rec, "code", "mã phải gồm chữ in hoa không dấu, số và dấu gạch ngang (tối đa 40 ký tự)")
            return None
        return value

    def aliases(self, raw: dict, file: str, rec: str) -> list[str]:
        value = raw.get("aliases", [])
        if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
            self.add(file, rec, "aliases", "phải là danh sách các chuỗi không rỗng")
            return []
        return [nfc(a) for a in value]

    def unique(self, records: list[dict], key, file: str, label: str) -> None:
        seen: dict[str, str] = {}
        for rec in records:
            for value in key(rec):
                folded = fold(value)
                if folded in seen and seen[folded] != rec["_id"]:
                    self.add(file, rec["_id"], label, f"“{value}” trùng với bản ghi {seen[folded]}")
                else:
                    seen[folded] = rec["_id"]


def _names(rec: dict) -> list[str]:
    """A record's name and aliases, each once: all of them must be unique across the file."""
    return [n for n in dict.fromkeys([rec["name"], *rec["aliases"]]) if n]


def _read(path: Path, checker: _Checker) -> dict[str, Any]:
    if not path.exists():
        checker.add(path.name, "-", "", "không tìm thấy tệp")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        checker.add(path.name, "-", "", f"không đọc được tệp TOML: {exc}")
        return {}


def _parse_units(doc: dict, ck: _Checker) -> list[dict]:
    file = UNITS_FILE
    out = []
    for i, raw in enumerate(doc.get("unit", []), start=1):
        rec_id = str(raw.get("code") or f"bản ghi thứ {i}")
        kind = raw.get("kind")
        if kind not in {k.value for k in UnitKind}:
            ck.add(file, rec_id, "kind", f"loại đơn vị “{kind}” không hợp lệ (ministry_admin, ministry_service, provincial)")
        rec = {
            "_id": rec_id,
            "code": ck.code(raw, file, rec_id),
            "name": ck.text(raw, "name", file, rec_id, required=True),
            "short_name": ck.text(raw, "short_name", file, rec_id),
            "kind": UnitKind(kind) if kind in {k.value for k in UnitKind} else None,
            "province": ck.text(raw, "province", file, rec_id),
            "valid_from": ck.date(raw, "valid_from", file, rec_id),
            "valid_to": ck.date(raw, "valid_to", file, rec_id),
            "aliases": ck.aliases(raw, file, rec_id),
            "verified": bool(raw.get("verified", True)),
            "note": ck.text(raw, "note", file, rec_id),
            "source": ck.text(raw, "source", file, rec_id),
            "_successor": raw.get("successor"),
        }
        if rec["valid_from"] and rec["valid_to"] and rec["valid_to"] < rec["valid_from"]:
            ck.add(file, rec_id, "valid_to", "ngày kết thúc trước ngày bắt đầu")
        out.append(rec)
    codes = {r["code"] for r in out if r["code"]}
    ck.unique(out, lambda r: [r["code"]] if r["code"] else [], file, "code")
    ck.unique(out, _names, file, "aliases")
    for rec in out:
        succ = rec["_successor"]
        if succ is None:
            continue
        if succ not in codes:
            ck.add(file, rec["_id"], "successor", f"đơn vị kế thừa “{succ}” không có trong danh mục")
        elif succ == rec["code"]:
            ck.add(file, rec["_id"], "successor", "đơn vị không thể kế thừa chính nó")
        elif rec["valid_to"] is None:
            ck.add(file, rec["_id"], "valid_to", "đơn vị có đơn vị kế thừa phải có ngày kết thúc (valid_to)")
    by_code = {r["code"]: r for r in out if r["code"]}
    for rec in out:
        seen, cur = set(), rec
        while cur and cur["_successor"]:
            if cur["code"] in seen:
                ck.add(file, rec["_id"], "successor", "chuỗi đơn vị kế thừa bị vòng lặp")
                break
            seen.add(cur["code"])
            cur = by_code.get(cur["_successor"])
    return out


def _parse_forms(doc: dict, ck: _Checker, unit_codes: set[str]) -> tuple[list[dict], list[dict]]:
    file = FORMS_FILE
    forms, channels = [], []
    for i, raw in enumerate(doc.get("form", []), start=1):
        rec_id = str(raw.get("code") or f"hình thức thứ {i}")
        forms.append({
            "_id": rec_id,
            "code": ck.code(raw, file, rec_id),
            "name": ck.text(raw, "name", file, rec_id, required=True),
            "output_unit": ck.text(raw, "output_unit", file, rec_id),
            "aliases": ck.aliases(raw, file, rec_id),
            "sort_order": int(raw.get("sort_order", i)),
        })
    for i, raw in enumerate(doc.get("channel", []), start=1):
        rec_id = str(raw.get("code") or f"kênh thứ {i}")
        url = ck.text(raw, "url", file, rec_id)
        if url and not re.match(r"^https?://[^\s]+$", url):
            ck.add(file, rec_id, "url", "địa chỉ phải bắt đầu bằng http:// hoặc https://")
        owner = raw.get("owner_unit")
        if owner is not None and owner not in unit_codes:
            ck.add(file, rec_id, "owner_unit", f"đơn vị “{owner}” không có trong danh mục đơn vị")
        channels.append({
            "_id": rec_id,
            "code": ck.code(raw, file, rec_id),
            "name": ck.text(raw, "name", file, rec_id, required=True),
            "url": url,
            "aliases": ck.aliases(raw, file, rec_id),
            "sort_order": int(raw.get("sort_order", i)),
            "_owner": owner,
        })
    for records, label in ((forms, "hình thức"), (channels, "kênh")):
        ck.unique(records, lambda r: [r["code"]] if r["code"] else [], file, "code")
        ck.unique(records, _names, file, f"aliases ({label})")
    return forms, channels


def _parse_plans(doc: dict, ck: _Checker) -> list[dict]:
    file = PLANS_FILE
    plans = []
    for i, raw in enumerate(doc.get("plan", []), start=1):
        rec_id = str(raw.get("code") or f"kế hoạch thứ {i}")
        code = ck.text(raw, "code", file, rec_id, required=True)
        numbering = raw.get("numbering", "arabic")
        if numbering not in {n.value for n in Numbering}:
            ck.add(file, rec_id, "numbering", "cách đánh số phải là arabic hoặc roman")
            numbering = "arabic"
        year = raw.get("year")
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            ck.add(file, rec_id, "year", "năm kế hoạch phải là số từ 2000 đến 2100")
        tasks = []
        for j, traw in enumerate(raw.get("task", []), start=1):
            number = traw.get("number")
            tid = f"nhiệm vụ ({number if number is not None else j})"
            if not isinstance(number, int) or number < 1:
                ck.add(file, rec_id, tid, "số thứ tự nhiệm vụ phải là số nguyên dương")
                continue
            text = ck.text(traw, "text", file, f"{rec_id} › {tid}")
            missing = bool(traw.get("missing", False))
            if missing and text:
                ck.add(file, rec_id, tid, "nhiệm vụ đánh dấu thiếu nội dung (missing) không được có text")
            if not missing and not text:
                ck.add(file, rec_id, tid, "thiếu nội dung (text); nếu nguồn không có, ghi missing = true")
            tasks.append({
                "number": number,
                "label": roman(number) if numbering == "roman" else str(number),
                "text": None if missing else text,
                "text_missing": missing,
                "note": ck.text(traw, "note", file, f"{rec_id} › {tid}"),
            })
        counts = Counter(t["number"] for t in tasks)
        for number, n in counts.items():
            if n > 1:
                ck.add(file, rec_id, f"nhiệm vụ ({number})", "số thứ tự bị trùng")
        plans.append({
            "_id": rec_id,
            "code": code,
            "title": ck.text(raw, "title", file, rec_id, required=True),
            "year": year,
            "decision_no": ck.text(raw, "decision_no", file, rec_id),
            "issued_on": ck.date(raw, "issued_on", file, rec_id),
            "issuer": ck.text(raw, "issuer", file, rec_id),
            "message": ck.text(raw, "message", file, rec_id),
            "numbering": Numbering(numbering),
            "task_label": ck.text(raw, "task_label", file, rec_id) or "Nhiệm vụ trọng tâm",
            "verified": bool(raw.get("verified", True)),
            "note": ck.text(raw, "note", file, rec_id),
            "source": ck.text(raw, "source", file, rec_id),
            "tasks": tasks,
        })
    ck.unique(plans, lambda r: [r["code"]] if r["code"] else [], file, "code")
    return plans


@dataclass
class Catalog:
    units: list[dict]
    forms: list[dict]
    channels: list[dict]
    plans: list[dict]


def read_catalog(data_dir: Path = DATA_DIR) -> Catalog:
    """Read and validate every catalog file.

    Raises:
        CatalogError: with every problem found, in Vietnamese.
    """
    ck = _Checker()
    units = _parse_units(_read(data_dir / UNITS_FILE, ck), ck)
    unit_codes = {u["code"] for u in units if u["code"]}
    forms, channels = _parse_forms(_read(data_dir / FORMS_FILE, ck), ck, unit_codes)
    plans = _parse_plans(_read(data_dir / PLANS_FILE, ck), ck)
    if ck.problems:
        raise CatalogError(ck.problems)
    return Catalog(units=units, forms=forms, channels=channels, plans=plans)


def _apply(obj: Any, values: dict, report: LoadReport, kind: str, created: bool) -> None:
    """Set only fields that differ, so an unchanged record is not written at all."""
    changed = False
    for key, value in values.items():
        if key.startswith("_"):
            continue
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    if created:
        report.created[kind] += 1
    elif changed:
        report.updated[kind] += 1
    else:
        report.unchanged[kind] += 1


def _upsert(session: Session, model: type, key: dict, values: dict, report: LoadReport, kind: str) -> Any:
    obj = session.scalars(select(model).filter_by(**key)).one_or_none()
    created = obj is None
    if created:
        obj = model(**key)
        session.add(obj)
    _apply(obj, values, report, kind, created)
    return obj


def _keep_unit_edits(unit: Unit, values: dict) -> None:
    """Facts the office recorded in the app (end date, successor, new name, extra aliases) survive
    reloading a file that does not mention them; the file still wins where it says something."""
    if values["valid_to"] is None and unit.valid_to is not None:
        values["valid_to"] = unit.valid_to
    if values["successor_id"] is None and unit.successor_id is not None:
        values["successor_id"] = unit.successor_id
    file_name = values["name"]
    if fold(unit.name) != fold(file_name) and fold(file_name) in {fold(a) for a in unit.aliases or []}:
        values["name"] = unit.name  # renamed in the app; the file's (old) name stays an alias
    names = {fold(n) for n in (values["name"], values.get("short_name"), *values["aliases"]) if n}
    extra = [a for a in [*(unit.aliases or []), file_name] if fold(a) not in names]
    values["aliases"] = [*values["aliases"], *dict.fromkeys(extra)]


def load_catalog(session: Session, data_dir: Path = DATA_DIR) -> LoadReport:
    """Validate the catalog files, then upsert every record in the caller's transaction.

    Raises:
        CatalogError: when any file or record is wrong (nothing is written).
    """
    catalog = read_catalog(data_dir)
    report = LoadReport()
    existing = {u.code: u for u in session.scalars(select(Unit))}
    units: dict[str, Unit] = {}
    new_codes: set[str] = set()
    for rec in catalog.units:
        unit = existing.get(rec["code"])
        if unit is None:
            unit = Unit(code=rec["code"], name=rec["name"], kind=rec["kind"])
            session.add(unit)
            new_codes.add(rec["code"])
        units[rec["code"]] = unit
    session.flush()
    for rec in catalog.units:
        values = {k: v for k, v in rec.items() if k not in ("code", "_id", "_successor")}
        values["successor_id"] = units[rec["_successor"]].id if rec["_successor"] else None
        if rec["code"] not in new_codes:
            _keep_unit_edits(units[rec["code"]], values)
        _apply(units[rec["code"]], values, report, "đơn vị", rec["code"] in new_codes)
    for rec in catalog.forms:
        values = {k: v for k, v in rec.items() if k not in ("code", "_id")}
        _upsert(session, Form, {"code": rec["code"]}, values, report, "hình thức")
    for rec in catalog.channels:
        values = {k: v for k, v in rec.items() if k not in ("code", "_id", "_owner")}
        values["owner_unit_id"] = units[rec["_owner"]].id if rec["_owner"] else None
        _upsert(session, Channel, {"code": rec["code"]}, values, report, "kênh")
    for rec in catalog.plans:
        values = {k: v for k, v in rec.items() if k not in ("code", "_id", "tasks")}
        plan = _upsert(session, Plan, {"code": rec["code"]}, values, report, "kế hoạch")
        session.flush()
        for task in rec["tasks"]:
            values = {k: v for k, v in task.items() if k != "number"}
            if values["text_missing"]:
                known = session.scalars(select(PriorityTask).filter_by(plan_id=plan.id, number=task["number"])).first()
                if known is not None and known.text:
                    # Filled in by the office in the app: a file with no text has nothing to replace it with.
                    values["text"], values["text_missing"] = known.text, False
            _upsert(session, PriorityTask, {"plan_id": plan.id, "number": task["number"]}, values,
                    report, "nhiệm vụ")
    session.flush()
    return report
