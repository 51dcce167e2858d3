"""The typed read model of the home page and the one runner every kind of work goes through:
one SQL query per kind, limited, with its total counted by a window function in the same query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.permissions import Actor
from core.policy.work import days_overdue, due_words

LIST_LIMIT = 20  # lines shown per kind of work; the count covers them all


@dataclass(frozen=True)
class WorkItem:
    """One thing to do: what, for which record, by when, and where it is done."""

    kind: str
    ref_id: int
    title: str  # e.g. "Case 12 · NPH100012": a housing reference, never a name
    detail: str
    due_on: dt.date | None
    since: dt.date | None
    overdue_days: int
    due_text: str
    page: str  # the page where it is done, e.g. "pages/case_actions.py"
    query: dict[str, str] = field(default_factory=dict)  # its query parameters


@dataclass(frozen=True)
class WorkLine:
    """One kind of work: its label, how many there are in all, and the most urgent first."""

    kind: str
    label: str
    count: int
    overdue: int
    items: tuple[WorkItem, ...]


@dataclass(frozen=True)
class MyWork:
    lines: tuple[WorkLine, ...]

    @property
    def total(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def overdue(self) -> int:
        return sum(line.overdue for line in self.lines)


@dataclass(frozen=True)
class Kind:
    """A kind of work: `query(actor, today)` returns a SELECT of the labelled columns ref_id,
    customer_id, housing_ref, due_on, since (and optionally detail), ordered most urgent first."""

    kind: str
    label: str
    page: str
    query: Callable[[Actor, dt.date], Select]
    title: Callable[[dict], str]
    detail: Callable[[dict], str] = lambda row: ""
    params: Callable[[dict], dict[str, str]] = lambda row: (
        {"customer_id": str(row["customer_id"])} if row.get("customer_id") else {}
    )


def as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def run_kind(session: Session, actor: Actor, kind: Kind, today: dt.date, limit: int) -> WorkLine:
    """One query: the first `limit` rows, with the total and the overdue count over all of them
    as uncorrelated scalar subqueries (evaluated once; the LIMIT still stops the listing early)."""
    stmt = kind.query(actor, today)
    due_only = stmt.with_only_columns(stmt.selected_columns["due_on"]).order_by(None).subquery()
    counted = select(func.count()).select_from(due_only).scalar_subquery()
    overdue = select(func.count()).select_from(due_only).where(due_only.c.due_on < today).scalar_subquery()
    rows = (
        session.execute(stmt.add_columns(counted.label("total"), overdue.label("overdue_total")).limit(limit))
        .mappings()
        .all()
    )
    items = tuple(_item(kind, dict(row), today) for row in rows)
    total = int(rows[0]["total"]) if rows else 0
    late = int(rows[0]["overdue_total"] or 0) if rows else 0
    return WorkLine(kind.kind, kind.label, total, late, items)


def _item(kind: Kind, row: dict, today: dt.date) -> WorkItem:
    due, since = as_date(row.get("due_on")), as_date(row.get("since"))
    return WorkItem(
        kind=kind.kind,
        ref_id=int(row["ref_id"]),
        title=kind.title(row),
        detail=kind.detail(row),
        due_on=due,
        since=since,
        overdue_days=days_overdue(due, today),
        due_text=due_words(due, today),
        page=kind.page,
        query=kind.params(row),
    )


def case_title(row: dict) -> str:
    ref = row.get("housing_ref")
    return f"Case {row['case_id']} · {ref}" if ref else f"Case {row['case_id']}"
