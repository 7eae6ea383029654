"""The office's app-wide choices: how reporting periods are cut off and how long units have to send.

Read by anyone (every report and round uses them), changed only by the office, each change audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tracker import periods
from tracker.errors import ValidationFailed
from tracker.models import AppSetting, AuditEvent
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
