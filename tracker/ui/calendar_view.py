"""Drawing the calendar: a month or a week as an HTML grid (every title escaped), each entry a link to its item."""

from __future__ import annotations

import datetime as dt
from html import escape

from tracker.rag import RAG_COLORS, Rag
from tracker.services.calendar import WEEKDAYS, Month, View
from tracker.text import format_number

ITEM_PAGE = "cong-viec"

CSS = f"""
<style>
.lich {{ width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 0.85rem; }}
.lich th {{ text-align: left; padding: 4px 6px; font-weight: 600; border-bottom: 1px solid #ccc; }}
.lich td {{ vertical-align: top; border: 1px solid #e3e3e3; padding: 4px 6px; height: 6.5rem; }}
.lich td.other {{ background: #f7f7f7; color: #888; }}
.lich td.today {{ outline: 2px solid #1565c0; outline-offset: -2px; }}
.lich .so {{ font-weight: 600; }}
.lich a {{ display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: inherit;
          text-decoration: none; border-left: 3px solid #90a4ae; padding-left: 4px; margin: 2px 0; }}
.lich.tuan a {{ white-space: normal; }}
.lich a:hover {{ text-decoration: underline; }}
.lich a.qua-han {{ color: {RAG_COLORS[Rag.RED]}; border-left-color: {RAG_COLORS[Rag.RED]}; font-weight: 600; }}
.lich a.bat-dau {{ color: #555; border-left-style: dashed; }}
.lich .them {{ color: #555; font-style: italic; }}
</style>
"""


def grid(month: Month, *, view: View, shown: dt.date, today: dt.date) -> str:
    """The window's weeks as an HTML table: a day's entries, overdue in red, then "và N việc khác"."""
    kind = "lich tuan" if view is View.WEEK else "lich"
    rows = [f"<table class='{kind}' data-testid='calendar-grid'><thead><tr>"
            + "".join(f"<th>{d}</th>" for d in WEEKDAYS) + "</tr></thead><tbody>"]
    day = month.first
    while day <= month.last:
        rows.append("<tr>")
        for _ in range(7):
            rows.append(_cell(month, day, view=view, shown=shown, today=today))
            day += dt.timedelta(days=1)
        rows.append("</tr>")
    rows.append("</tbody></table>")
    return CSS + "".join(rows)


def _cell(month: Month, day: dt.date, *, view: View, shown: dt.date, today: dt.date) -> str:
    classes = [c for c, on in (("other", view is View.MONTH and day.month != shown.month), ("today", day == today))
               if on]
    label = f"{day.day:02d}/{day.month:02d}" if day.day == 1 or day == month.first else f"{day.day:02d}"
    parts = [f"<td class='{' '.join(classes)}' data-day='{day.isoformat()}'><div class='so'>{label}</div>"]
    cell = month.days.get(day)
    if cell:
        for e in cell.entries:
            css = "qua-han" if e.overdue else ("bat-dau" if e.kind == "start" else "han")
            prefix = "Bắt đầu: " if e.kind == "start" else ("Quá hạn: " if e.overdue else "Hạn: ")
            tip = escape(f"Số {e.id} · {e.unit} · {prefix}{e.title}", quote=True)
            parts.append(f"<a class='{css}' href='{ITEM_PAGE}?id={e.id}' target='_self' title='{tip}'>"
                         f"{escape(prefix)}{escape(e.title)}</a>")
        if cell.total > len(cell.entries):
            parts.append(f"<div class='them'>và {format_number(cell.total - len(cell.entries))} việc khác</div>")
    parts.append("</td>")
    return "".join(parts)
