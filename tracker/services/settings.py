"""The office's app-wide choices: how reporting periods are cut off and how long units have to send.

Read by anyone (every report and round uses them), changed only by the office, each change audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import periods
from tracker.errors import ValidationFailed
from tracker.models import AppSetting, AuditEvent, Status
from tracker.workflow import STATUS_LABELS
from tracker.permissions import Action, Actor, require

RULE_KEY = "reporting.cutoff_rule"
DAYS_KEY = "reporting.send_within_days"


@dataclass(frozen=True)
class Reporting:
    rule: periods.Rule = periods.DEFAULT_RULE
    send_within_days: int = periods.DEFAULT_SEND_WITHIN_DAYS

    def period(self, kind: periods.Kind, year: int, number: int = 0) -> periods.Period:
        return periods.period(kind, year, number, rule=self.rule)

    def presets(self, year: int) -> list[periods.Period]:
        return periods.presets(year, rule=self.rule)


def reporting(session: Session) -> Reporting:
    """The reporting rule in force (the decree's cut-off and 5 days to send, until the office changes them)."""
    rule = session.get(AppSetting, RULE_KEY)
    days = session.get(AppSetting, DAYS_KEY)
    try:
        chosen = periods.Rule(rule.value) if rule else periods.DEFAULT_RULE
    except ValueError:
        chosen = periods.DEFAULT_RULE
    within = days.value if days and isinstance(days.value, int) else periods.DEFAULT_SEND_WITHIN_DAYS
    return Reporting(rule=chosen, send_within_days=within)


IMPORT_LAYOUT_KEY = "import.layout."  # + the layout's signature: the columns the office mapped for that layout


def import_mapping(session: Session, signature: str) -> dict[str, str] | None:
    """The mapping (header -> field) the office confirmed for files of this layout, if any."""
    row = session.get(AppSetting, IMPORT_LAYOUT_KEY + signature)
    return dict(row.value) if row and isinstance(row.value, dict) else None


def remember_import_mapping(session: Session, *, actor: Actor, signature: str, mapping: dict[str, str]) -> None:
    """Keep the office's mapping for the next file of the same layout (office only, audited).

    Raises:
        PermissionDenied: not the office. ValidationFailed: a field that is not one of ours.
    """
    from tracker.services.sheet_layout import FIELD_LABELS  # the fields belong to the import; kept out of start-up

    require(actor, Action.MANAGE_ITEMS, session=session)
    if not all(isinstance(h, str) and f in FIELD_LABELS for h, f in mapping.items()):
        raise ValidationFailed("Cách gán cột không hợp lệ.")
    key = IMPORT_LAYOUT_KEY + signature
    row = session.get(AppSetting, key)
    if row is None:
        session.add(AppSetting(key=key, value=dict(mapping), updated_by_id=actor.user_id or None))
    elif row.value != mapping:
        row.value, row.updated_by_id = dict(mapping), actor.user_id or None
    else:
        return
    session.add(AuditEvent(actor_id=actor.user_id or None, action="settings.import_layout", target_type="settings",
                           target_id=None, details={"signature": signature, "mapping": mapping}))
    session.flush()


def set_reporting(session: Session, *, actor: Actor, rule: periods.Rule | str, send_within_days: int) -> Reporting:
    """Change the rule and the days to send (office only), recorded in the audit trail.

    Raises:
        PermissionDenied: not the office. ValidationFailed: an unknown rule or days outside 0–60.
    """
    require(actor, Action.EDIT_CATALOG, session=session)
    try:
        rule = periods.Rule(rule)
    except ValueError:
        raise ValidationFailed("Cách tính kỳ báo cáo không hợp lệ.") from None
    if not isinstance(send_within_days, int) or not 0 <= send_within_days <= 60:
        raise ValidationFailed("Số ngày gửi báo cáo sau ngày chốt số liệu phải từ 0 đến 60.")
    before = reporting(session)
    for key, value in ((RULE_KEY, rule.value), (DAYS_KEY, send_within_days)):
        row = session.get(AppSetting, key)
        if row is None:
            session.add(AppSetting(key=key, value=value, updated_by_id=actor.user_id or None))
        else:
            row.value, row.updated_by_id = value, actor.user_id or None
    session.add(AuditEvent(actor_id=actor.user_id or None, action="settings.reporting", target_type="settings",
                           target_id=None, details={"rule": [before.rule.value, rule.value],
                                                    "send_within_days": [before.send_within_days, send_within_days]}))
    session.flush()
    return Reporting(rule=rule, send_within_days=send_within_days)


WIP_COLUMNS_KEY = "board.wip_columns"
WIP_LANES_KEY = "board.wip_lanes"
MAX_WIP = 10_000


@dataclass(frozen=True)
class BoardWip:
    """WIP limits of the Kanban board: per column (all lanes together) and per lane's cell when lanes are shown."""
    columns: dict[Status, int]
    lanes: dict[Status, int]


def _limits(value) -> dict[Status, int] | None:
    if not isinstance(value, dict):
        return None
    out = {}
    for name, limit in value.items():
        try:
            status = Status(name)
        except ValueError:
            continue
        if isinstance(limit, int) and limit > 0:
            out[status] = limit
    return out


def board_wip(session: Session) -> BoardWip:
    """The limits the office set on "Quản trị danh mục"; until then the columns' come from TRACKER_BOARD_WIP_LIMITS
    (or its defaults) and lanes have none."""
    from tracker.services.board import wip_limits

    rows = {r.key: r for r in session.scalars(select(AppSetting).where(
        AppSetting.key.in_([WIP_COLUMNS_KEY, WIP_LANES_KEY])))}  # one query: the board reads it on every run
    columns, lanes = rows.get(WIP_COLUMNS_KEY), rows.get(WIP_LANES_KEY)
    chosen = _limits(columns.value) if columns is not None else None
    return BoardWip(columns=chosen if chosen is not None else wip_limits(),
                    lanes=(_limits(lanes.value) or {}) if lanes is not None else {})


def set_board_wip(session: Session, *, actor: Actor, columns: dict[Status, int], lanes: dict[Status, int]) -> BoardWip:
    """Set the board's WIP limits (office only; 0 or missing: no limit), recorded in the audit trail.

    Raises:
        PermissionDenied: not the office. ValidationFailed: a limit that is not a whole number from 0 to 10.000.
    """
    require(actor, Action.EDIT_CATALOG, session=session)
    problems = [f"Giới hạn WIP của cột “{STATUS_LABELS[s]}” phải là số nguyên từ 0 đến {MAX_WIP:,}.".replace(",", ".")
                for s, v in [*columns.items(), *lanes.items()] if not isinstance(v, int) or not 0 <= v <= MAX_WIP]
    if problems:
        raise ValidationFailed(problems[0], problems)
    before = board_wip(session)
    values = {WIP_COLUMNS_KEY: {s.value: v for s, v in columns.items() if v},
              WIP_LANES_KEY: {s.value: v for s, v in lanes.items() if v}}
    for key, value in values.items():
        row = session.get(AppSetting, key)
        if row is None:
            session.add(AppSetting(key=key, value=value, updated_by_id=actor.user_id or None))
        else:
            row.value, row.updated_by_id = value, actor.user_id or None
    session.add(AuditEvent(actor_id=actor.user_id or None, action="settings.board_wip", target_type="settings",
                           target_id=None, details={
                               "columns": [{s.value: v for s, v in before.columns.items()}, values[WIP_COLUMNS_KEY]],
                               "lanes": [{s.value: v for s, v in before.lanes.items()}, values[WIP_LANES_KEY]]}))
    session.flush()
    return board_wip(session)
OFFICE_KEY = "report.office"
AUTHORITIES = ("", "KT.", "TL.", "TUQ.", "TM.")
DEFAULT_RECIPIENTS = ("Bộ trưởng (để báo cáo)", "Các Thứ trưởng", "Các đơn vị thuộc Bộ", "Sở Nội vụ các tỉnh, thành phố")


@dataclass(frozen=True)
class Office:
    """Who issues, signs and receives the official report (Nghị định 30/2020, Phụ lục I).

    The signer block reads: authority + superior ("KT. BỘ TRƯỞNG"), then the signer's own title ("THỨ TRƯỞNG"),
    then the name. With no authority the title alone stands ("BỘ TRƯỞNG")."""

    issuer: str = "BỘ NỘI VỤ"
    superior: str = ""
    symbol: str = "BC-BNV"
    place: str = "Hà Nội"
    authority: str = "KT."
    authority_of: str = "BỘ TRƯỞNG"
    signer_title: str = "THỨ TRƯỞNG"
    signer_name: str = ""
    recipients: tuple[str, ...] = DEFAULT_RECIPIENTS
    archive: str = "VT, VP"

    def as_dict(self) -> dict:
        return {"issuer": self.issuer, "superior": self.superior, "symbol": self.symbol, "place": self.place,
                "authority": self.authority, "authority_of": self.authority_of, "signer_title": self.signer_title,
                "signer_name": self.signer_name, "recipients": list(self.recipients), "archive": self.archive}


def office(session: Session) -> Office:
    """The office's report settings in force (the Bộ Nội vụ defaults until the office changes them)."""
    row = session.get(AppSetting, OFFICE_KEY)
    return _office(row.value if row and isinstance(row.value, dict) else {})


def _office(value: dict) -> Office:
    known = {k: v for k, v in value.items() if k in Office.__dataclass_fields__}
    if "recipients" in known:
        known["recipients"] = tuple(str(r) for r in known["recipients"] or ())
    return Office(**{k: (v if k == "recipients" else str(v or "")) for k, v in known.items()})


def set_office(session: Session, *, actor: Actor, office_settings: Office) -> Office:
    """Change who issues, signs and receives the report (office only), recorded in the audit trail.

    Raises:
        PermissionDenied: not the office. ValidationFailed: an unknown authority, an empty issuer, symbol,
        place or signer title, or a field too long.
    """
    require(actor, Action.EDIT_CATALOG, session=session)
    o = office_settings
    clean = {k: (" ".join(v.split()) if isinstance(v, str) else v) for k, v in o.as_dict().items()}
    clean["recipients"] = [" ".join(r.split()).strip(" -;.") for r in o.recipients if r.strip(" -;.")]
    if clean["authority"] not in AUTHORITIES:
        raise ValidationFailed("Quyền hạn ký phải là KT., TL., TUQ., TM. hoặc để trống.")
    for key, label in (("issuer", "Tên cơ quan"), ("symbol", "Ký hiệu văn bản"), ("place", "Địa danh"),
                       ("signer_title", "Chức vụ người ký")):
        if not clean[key]:
            raise ValidationFailed(f"{label} không được để trống.")
    if clean["authority"] and not clean["authority_of"]:
        raise ValidationFailed("Ký thay, thừa lệnh hay thừa ủy quyền thì phải ghi chức vụ của người đứng đầu.")
    if any(len(v) > 200 for v in clean.values() if isinstance(v, str)) or len(clean["recipients"]) > 30:
        raise ValidationFailed("Thông tin quá dài (mỗi mục tối đa 200 ký tự, tối đa 30 nơi nhận).")
    for key in ("issuer", "superior", "authority_of", "signer_title"):
        clean[key] = clean[key].upper()
    before = office(session).as_dict()
    row = session.get(AppSetting, OFFICE_KEY)
    if row is None:
        session.add(AppSetting(key=OFFICE_KEY, value=clean, updated_by_id=actor.user_id or None))
    else:
        row.value, row.updated_by_id = clean, actor.user_id or None
    changes = {k: [before[k], v] for k, v in clean.items() if before[k] != v}
    session.add(AuditEvent(actor_id=actor.user_id or None, action="settings.office", target_type="settings",
                           target_id=None, details=changes))
    session.flush()
    return _office(clean)
