"""Reading the audit trail and the access log (clause 6: every change is attributable).

Only reads and exports live here. Nothing in core/services updates or deletes an audit entry
except erasure's redaction of an erased customer's payloads (see migration 0004); the ORM and
database triggers refuse everything else (tests/services/test_audit_log.py proves both).

Who sees what: the Data Management Officer sees every entry in full. The administrator sees the
actions and the actors (who, what, which record, when) but not case content: before/after values
and reasons are withheld from them. For a customer whose personal data was erased, the values
are withheld from everyone (and were scrubbed from the database by the erasure).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, literal_column, or_, select, text

from core.db import UnitOfWork, to_jsonable
from core.errors import PolicyError
from core.exports import export
from core.models import AccessLog, AuditEntry, Customer, DisclosureLog, User
from core.permissions import Actor, Permission, require

T = TypeVar("T")

DEFAULT_LIMIT = 500
PAGE_SIZE = 100
MAX_LIMIT = 10_000
WITHHELD = "[withheld: the customer's personal data was erased]"
WITHHELD_CONTENT = "[withheld: case content is for the Data Management Officer]"
AUDIT_COLUMNS = [
    "id",
    "at",
    "username",
    "action",
    "entity_type",
    "entity_id",
    "customer_id",
    "customer",
    "reason",
    "before",
    "after",
]
ACCESS_COLUMNS = ["at", "kind", "username", "user", "customer_id", "customer", "what"]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first; `next_after` is the keyset cursor for the next page."""

    rows: list[T]
    next_after: AuditCursor | None


@dataclass(frozen=True)
class AuditCursor:
    """Where the next page starts: strictly older than (at, id)."""

    at: dt.datetime
    id: int


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime  # UTC
    user_id: int | None
    username: str
    action: str
    entity_type: str
    entity_id: int | None
    customer_id: int | None
    customer: str  # housing reference, "" when none
    reason: str
    before: Any  # dict, None, or a WITHHELD text
    after: Any


@dataclass(frozen=True)
class AccessRow:
    at: dt.datetime  # UTC
    kind: str  # "case records" or "arrangements"
    user_id: int
    username: str
    user: str
    customer_id: int
    customer: str
    what: str


@dataclass(frozen=True)
class AuditFilterOptions:
    usernames: list[str]
    entity_types: list[str]
    actions: list[str]


def _bounds(date_from: dt.date | None, date_to: dt.date | None):
    if date_from and date_to and date_from > date_to:
        raise PolicyError("The 'from' date is after the 'to' date.")
    start = dt.datetime.combine(date_from, dt.time.min, dt.UTC) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, dt.UTC) if date_to else None
    return start, end


def _limit(limit: int | None, default: int = DEFAULT_LIMIT) -> int:
    limit = default if limit is None else int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise PolicyError(f"Show between 1 and {MAX_LIMIT:,} entries.")
    return limit


def _audit_query(
    *,
    username=None,
    user_id=None,
    customer_id=None,
    entity_type=None,
    action=None,
    date_from=None,
    date_to=None,
):
    """The filtered trail; each filter has an index ending in `at` (migration 0004)."""
    start, end = _bounds(date_from, date_to)
    stmt = select(AuditEntry, Customer.housing_ref, Customer.anonymised_at).outerjoin(
        Customer, Customer.id == AuditEntry.customer_id
    )
    conditions = [
        AuditEntry.username == username.strip().lower() if username else None,
        AuditEntry.user_id == user_id if user_id is not None else None,
        AuditEntry.customer_id == customer_id if customer_id is not None else None,
        AuditEntry.entity_type == entity_type if entity_type else None,
        AuditEntry.action == action if action else None,
        AuditEntry.at >= start if start else None,
        AuditEntry.at < end if end else None,
    ]
    return stmt.where(*[c for c in conditions if c is not None])


def _row(actor: Actor, entry: AuditEntry, ref: str | None, anonymised: Any) -> AuditRow:
    erased = anonymised is not None and entry.action != "erase_customer"
    hidden = WITHHELD if erased else None if actor.can(Permission.HANDLE_DATA_REQUESTS) else WITHHELD_CONTENT

    def shown(value: Any) -> Any:
        return hidden if hidden and value else to_jsonable(value)

    return AuditRow(
        id=entry.id,
        at=entry.at,
        user_id=entry.user_id,
        username=entry.username,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        customer_id=entry.customer_id,
        customer=ref or "",
        reason=shown(entry.reason) or "",
        before=shown(entry.before),
        after=shown(entry.after),
    )


def audit_entries(
    actor: Actor,
    uow: UnitOfWork,
    *,
    username: str | None = None,
    user_id: int | None = None,
    customer_id: int | None = None,
    entity_type: str | None = None,
    action: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int | None = DEFAULT_LIMIT,
) -> list[AuditRow]:
    """Audit entries, newest first, at most `limit` (for exports and checks; the page uses
    `audit_page`). Values are withheld as the module docstring says."""
    require(actor, Permission.VIEW_AUDIT)
    return audit_page(
        actor,
        uow,
        username=username,
        user_id=user_id,
        customer_id=customer_id,
        entity_type=entity_type,
        action=action,
        date_from=date_from,
        date_to=date_to,
        limit=_limit(limit),
    ).rows


def audit_page(
    actor: Actor,
    uow: UnitOfWork,
    *,
    after: AuditCursor | None = None,
    limit: int | None = PAGE_SIZE,
    **filters: Any,
) -> Page[AuditRow]:
    """One page of the trail, newest first by (at, id), from the keyset cursor `after`.
    One indexed statement whatever the size of the log: LIMIT in the database, no OFFSET."""
    require(actor, Permission.VIEW_AUDIT)
    limit = _limit(limit, PAGE_SIZE)
    with uow:
        stmt = _audit_query(**filters)
        if after is not None:
            stmt = stmt.where(
                or_(AuditEntry.at < after.at, and_(AuditEntry.at == after.at, AuditEntry.id < after.id))
            )
        stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit + 1)
        rows = [_row(actor, *found) for found in uow.session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows=rows, next_after=AuditCursor(rows[-1].at, rows[-1].id) if more else None)


def _distinct_by_index(s, column: str) -> list[str]:
    """The distinct values of an indexed audit_entry column by skipping through its index
    (one index probe per distinct value, never a scan of the whole log)."""
    step = text(f"""WITH RECURSIVE v(x) AS (
        SELECT MIN({column}) FROM audit_entry
        UNION ALL
        SELECT (SELECT MIN({column}) FROM audit_entry WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL
    ) SELECT x FROM v WHERE x IS NOT NULL""")
    return [value for (value,) in s.execute(step) if value]


def audit_filter_options(actor: Actor, uow: UnitOfWork) -> AuditFilterOptions:
    """The choices for the filter boxes: usernames from the users table (plus "system"), record
    types and actions through their indexes (ix_audit_entity_at, ix_audit_action_at)."""
    require(actor, Permission.VIEW_AUDIT)
    with uow:
        s = uow.session
        users = set(s.scalars(select(User.username)).all()) | {"system"}
        return AuditFilterOptions(
            usernames=sorted(users),
            entity_types=_distinct_by_index(s, "entity_type"),
            actions=_distinct_by_index(s, "action"),
        )


def export_audit(actor: Actor, uow_factory, fmt: str = "csv", **filters) -> tuple[str, bytes, str]:
    """The filtered audit entries as CSV/XLSX (cells neutralised); the export is itself audited.
    `uow_factory()` gives a fresh unit of work (one to read, one to record the export)."""
    require(actor, Permission.VIEW_AUDIT)
    rows = [dataclasses.asdict(r) for r in audit_entries(actor, uow_factory(), **filters)]
    return export(
        actor,
        "audit_log",
        rows,
        fmt,
        uow_factory(),
        permission=Permission.VIEW_AUDIT,
        columns=AUDIT_COLUMNS,
        filters={k: str(v) for k, v in filters.items()},
    )


def _access_select(
    model: Any,
    user_col: Any,
    what_col: Any,
    username: str | None,
    customer_id: int | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> Any:
    """One access source (case records or arrangements), filtered, with who and whose record."""
    stmt = (
        select(
            model.at,
            user_col,
            model.customer_id,
            User.username,
            User.name,
            Customer.housing_ref,
            what_col,
        )
        .join(User, User.id == user_col)
        .join(Customer, Customer.id == model.customer_id)
    )
    if username:
        stmt = stmt.where(User.username == username.strip().lower())
    if customer_id is not None:
        stmt = stmt.where(model.customer_id == customer_id)
    if start:
        stmt = stmt.where(model.at >= start)
    if end:
        stmt = stmt.where(model.at < end)
    return stmt


def access_log(
    actor: Actor,
    uow: UnitOfWork,
    *,
    username: str | None = None,
    customer_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    include_disclosures: bool = True,
    limit: int | None = DEFAULT_LIMIT,
) -> list[AccessRow]:
    """Who looked at which customer's records, and when, newest first; with the need-to-know
    arrangement look-ups (disclosure log) when `include_disclosures`. Each source is read
    newest first through its index on `at` (migration 0004), LIMIT in the database."""
    require(actor, Permission.VIEW_AUDIT)
    start, end = _bounds(date_from, date_to)
    limit = _limit(limit)
    sources: list[tuple[Any, Any, Any, str]] = [
        (AccessLog, AccessLog.user_id, AccessLog.what, "case records")
    ]
    if include_disclosures:
        sources.append(
            (DisclosureLog, DisclosureLog.viewer_id, literal_column("'arrangements'"), "arrangements")
        )
    out: list[AccessRow] = []
    with uow:
        for model, user_col, what_col, kind in sources:
            stmt = _access_select(model, user_col, what_col, username, customer_id, start, end)
            for row in uow.session.execute(stmt.order_by(model.at.desc(), model.id.desc()).limit(limit)):
                out.append(
                    AccessRow(
                        at=row[0],
                        kind=kind,
                        user_id=row[1],
                        customer_id=row[2],
                        username=row[3],
                        user=row[4],
                        customer=row[5],
                        what=row[6],
                    )
                )
    out.sort(key=lambda r: r.at, reverse=True)
    return out[:limit]


def export_access_log(actor: Actor, uow_factory, fmt: str = "csv", **filters) -> tuple[str, bytes, str]:
    require(actor, Permission.VIEW_AUDIT)
    rows = [dataclasses.asdict(r) for r in access_log(actor, uow_factory(), **filters)]
    return export(
        actor,
        "access_log",
        rows,
        fmt,
        uow_factory(),
        permission=Permission.VIEW_AUDIT,
        columns=ACCESS_COLUMNS,
        filters={k: str(v) for k, v in filters.items()},
    )
