"""The dashboard's counts of a plan at a past cut-off, kept once computed (table cutoff_figures).

The end of a day that has passed never changes: writes are recorded on today, so the state of every item at
an earlier cut-off stays as it was. A plan's counts per (lead unit, task, form) at such a cut-off are read from
work_item_states once (hundreds of thousands of rows on a big plan) and then from this table (a few thousand).
What could change a past day — replaying the history into work_item_states (demo data, a restore, a migration)
— drops the plan's rows here (`clear`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tracker.models import CutoffFigures


def get(session: Session, *, plan_id: int, cutoff: dt.date, columns: list[str]) -> pd.DataFrame | None:
    """The stored counts, or None when this plan and cut-off were never computed."""
    rows = session.scalar(select(CutoffFigures.rows).where(CutoffFigures.plan_id == plan_id,
                                                            CutoffFigures.cutoff == cutoff))
    if rows is None:
        return None
    frame = pd.DataFrame(rows, columns=columns)
    for col in columns:
        frame[col] = frame[col].astype("int64")
    return frame


def put(session: Session, *, plan_id: int, cutoff: dt.date, frame: pd.DataFrame) -> None:
    """Keep the counts (a second writer of the same cut-off computed the same numbers: first one wins)."""
    rows = [[int(v) for v in r] for r in frame.itertuples(index=False)]
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.get_bind().dialect.name]
    session.execute(insert(CutoffFigures).values(plan_id=plan_id, cutoff=cutoff, rows=rows)
                    .on_conflict_do_nothing(index_elements=["plan_id", "cutoff"]))


def clear(session: Session, plan_ids: Iterable[int] | None = None) -> None:
    """Drop the kept counts of these plans (all when None)."""
    stmt = delete(CutoffFigures)
    if plan_ids is not None:
        stmt = stmt.where(CutoffFigures.plan_id.in_(sorted(set(plan_ids))))
    session.execute(stmt)
