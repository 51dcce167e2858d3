"""Shared by the SPOC and PVP register modules: the page of results, the register filters in
SQL, keyset paging, and the audited review of a register entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, Subquery, and_, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Channel, RegisterStatus, ReviewOutcome, Role
from core.errors import PolicyError
from core.models import Customer, Review
from core.permissions import Actor
from core.policy import registers as rules
from core.services.paging import Page
from core.validation import clean_line, parse_enum

T = TypeVar("T")

SPOC_OFFICER_ROLES = (Role.TEAM_LEADER, Role.DMO, Role.HSW_OFFICER, Role.ASSISTANT_DIRECTOR)
RED_FLAG_COLUMNS = ("housing_ref", "flag_type", "start_date", "review_date")
STATUS_FILTER_LABELS = {
    "active": "Active",
    "due": "Due for review (next 30 days)",
    "overdue": "Review overdue",
    "pending": "Proposed",
    "ended": "Ended",
    "rejected": "Rejected",
    "all": "All",
}
STATUS_FILTERS = tuple(STATUS_FILTER_LABELS)
SPOC_STATUS_FILTERS = ("active", "due", "overdue", "ended", "all")  # a SPOC entry is never proposed
PVP_STATUS_FILTERS = ("active", "due", "overdue", "pending", "ended", "rejected", "all")
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
FAR_FUTURE = dt.date(9999, 12, 31)  # sorts entries with no review date (proposed) last


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _channels(values: list) -> list[str]:
    return [
        parse_enum(Channel, v.value if isinstance(v, Channel) else v, "Channel").value
        for v in dict.fromkeys(values or [])
    ]


def page_limit(limit: int) -> int:
    if not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise PolicyError(f"A page holds 1 to {MAX_PAGE_SIZE} rows.")
    return int(limit)


def status_clause(model: Any, status_filter: str, today: dt.date) -> list[ColumnElement]:
    """The register filter as SQL conditions on a SpocEntry or PvpEntry model."""
    active = model.status == RegisterStatus.ACTIVE
    if status_filter == "all":
        return []
    if status_filter == "active":
        return [active]
    if status_filter == "due":
        return [active, model.review_due >= today, model.review_due <= rules.due_soon_until(today)]
    if status_filter == "overdue":
        return [active, model.review_due < today]
    if status_filter in ("ended", "pending", "rejected"):
        return [model.status == RegisterStatus(status_filter)]
    raise PolicyError(f"Unknown register filter {status_filter!r}; use one of {', '.join(STATUS_FILTERS)}.")


def customer_search(query: str) -> list[ColumnElement]:
    """Conditions matching a customer by housing reference, name or address words."""
    words = clean_line(query or "", "Search", max_len=100).lower().split()
    conditions = []
    for word in words[:5]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(Customer.search_text.like(pattern, escape="\\"), Customer.housing_ref == word.upper())
        )
    return conditions


def after_clause(
    keys: Sequence[Any], after: Sequence | None, *, descending: bool = False
) -> list[ColumnElement]:
    """Keyset paging: rows strictly after the cursor in the (all ascending or all descending)
    order of `keys`, written out as OR/AND so it works the same on SQLite and PostgreSQL."""
    if after is None:
        return []
    if len(after) != len(keys):
        raise PolicyError("That page of results no longer exists; start from the first page.")
    options = []
    for i, key in enumerate(keys):
        value = literal(after[i], type_=key.type)
        beyond = key < value if descending else key > value
        options.append(and_(*[keys[j] == literal(after[j], type_=keys[j].type) for j in range(i)], beyond))
    return [or_(*options)]


def narrow_page(
    base: Select, keys: Sequence[Any], after: Sequence | None, limit: int, *, descending: bool = False
) -> Subquery:
    """The page's sort keys only (k0, k1, ...; the last is the row's id), limit + 1 of them:
    the database sorts narrow rows, and the wide records are joined to this page afterwards."""
    order = [k.desc() for k in keys] if descending else list(keys)
    return (
        base.with_only_columns(*(k.label(f"k{i}") for i, k in enumerate(keys)))
        .where(*after_clause(keys, after, descending=descending))
        .order_by(*order)
        .limit(limit + 1)
        .subquery()
    )


def page_order(page: Subquery, *, descending: bool = False) -> list[ColumnElement]:
    return [c.desc() if descending else c for c in page.c]


def review_key(model: Any) -> tuple[ColumnElement, ColumnElement]:
    """Register order: by review date (none last), then id."""
    return (func.coalesce(model.review_due, literal(FAR_FUTURE, type_=model.review_due.type)), model.id)


def make_page(
    raw: Sequence, limit: int, total: int, build: Callable[[Any], T], cursor: Callable[[Any], tuple]
) -> Page[T]:
    """`raw` holds up to limit + 1 rows: the extra one only says a next page exists."""
    more = len(raw) > limit
    raw = raw[:limit]
    return Page(
        rows=[build(r) for r in raw], total=total, next_after=cursor(raw[-1]) if more and raw else None
    )


def _record_review(
    uow: UnitOfWork,
    actor: Actor,
    entry,
    subject_type: str,
    case_id: int | None,
    before: dict,
    held_on: dt.date,
    evidence_considered: str,
    outcome: ReviewOutcome,
    next_review_due: dt.date | None,
    notes: str,
    actions: tuple[str, str],
) -> Review:
    """The review row of a register entry, audited together with the entry's before/after."""
    review = Review(
        case_id=case_id,
        subject_type=subject_type,
        subject_id=entry.id,
        held_on=held_on,
        reviewed_by_id=actor.user_id,
        evidence_considered=evidence_considered,
        outcome=outcome,
        next_review_due=next_review_due,
        notes=notes,
    )
    uow.session.add(review)
    review_action, entry_action = actions
    uow.audit(
        actor,
        review_action,
        review,
        customer_id=entry.customer_id,
        after=snapshot(review),
        reason=notes or outcome.label,
    )
    old, new = changed_fields(before, snapshot(entry))
    uow.audit(actor, entry_action, entry, before=old, after=new, reason=notes or outcome.label)
    return review
