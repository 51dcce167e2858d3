"""Reading the audit trail and the access log (clause 6: every change is attributable).

Only reads and exports live here. Nothing in core/services updates or deletes an audit entry;
the ORM and database triggers refuse it too (tests/services/test_audit_log.py proves both).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork, to_jsonable
from core.errors import PolicyError
from core.exports import export
from core.models import AccessLog, AuditEntry, Customer, DisclosureLog, User
from core.permissions import Actor, Permission, require

DEFAULT_LIMIT = 500
MAX_LIMIT = 10_000
WITHHELD = "[withheld: the customer's personal data was erased]"
AUDIT_COLUMNS = ["id", "at", "username", "action", "entity_type", "entity_id", "customer_id",
                 "customer", "reason", "before", "after"]
ACCESS_COLUMNS = ["at", "kind", "username", "user", "customer_id", "customer", "what"]


def _bounds(date_from: Optional[dt.date], date_to: Optional[dt.date]):
    if date_from and date_to and date_from > date_to:
        raise PolicyError("The 'from' date is after the 'to' date.")
    start = dt.datetime.combine(date_from, dt.time.min, dt.timezone.utc) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, dt.timezone.utc) if date_to else None
    return start, end


def _limit(limit: Optional[int]) -> int:
    limit = DEFAULT_LIMIT if limit is None else int(limit)
    if not 1 <= limit <= MAX_LIMIT:
        raise PolicyError(f"Show between 1 and {MAX_LIMIT:,} entries.")
    return limit


def audit_entries(actor: Actor, uow: UnitOfWork, *, username: Optional[str] = None,
                  user_id: Optional[int] = None, customer_id: Optional[int] = None,
                  entity_type: Optional[str] = None, action: Optional[str] = None,
                  date_from: Optional[dt.date] = None, date_to: Optional[dt.date] = None,
                  limit: Optional[int] = DEFAULT_LIMIT) -> list[dict]:
    """Audit entries, newest first, with before/after. For a customer whose personal data has
    been erased, the before/after snapshots are withheld from view (the entries stay)."""
    require(actor, Permission.VIEW_AUDIT)
    start, end = _bounds(date_from, date_to)
    limit = _limit(limit)
    with uow:
        stmt = select(AuditEntry, Customer.housing_ref, Customer.anonymised_at).outerjoin(
            Customer, Customer.id == AuditEntry.customer_id)
        if username:
            stmt = stmt.where(AuditEntry.username == username.strip().lower())
        if user_id is not None:
            stmt = stmt.where(AuditEntry.user_id == user_id)
        if customer_id is not None:
            stmt = stmt.where(AuditEntry.customer_id == customer_id)
        if entity_type:
            stmt = stmt.where(AuditEntry.entity_type == entity_type)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if start:
            stmt = stmt.where(AuditEntry.at >= start)
        if end:
            stmt = stmt.where(AuditEntry.at < end)
        rows = uow.session.execute(stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
        out = []
        for entry, ref, anonymised in rows:
            withheld = anonymised is not None and entry.action not in ("erase_customer",)
            out.append({
                "id": entry.id, "at": entry.at, "user_id": entry.user_id, "username": entry.username,
                "action": entry.action, "entity_type": entry.entity_type, "entity_id": entry.entity_id,
                "customer_id": entry.customer_id, "customer": ref or "",
                "reason": WITHHELD if withheld and entry.reason else entry.reason,
                "before": WITHHELD if withheld and entry.before else to_jsonable(entry.before),
                "after": WITHHELD if withheld and entry.after else to_jsonable(entry.after),
            })
        return out


def audit_filter_options(actor: Actor, uow: UnitOfWork) -> dict:
    """The usernames, record types and actions present in the trail, for filter boxes."""
    require(actor, Permission.VIEW_AUDIT)
    with uow:
        s = uow.session
        return {
            "usernames": sorted(s.scalars(select(AuditEntry.username).distinct()).all()),
            "entity_types": sorted(t for t in s.scalars(select(AuditEntry.entity_type).distinct()).all() if t),
            "actions": sorted(s.scalars(select(AuditEntry.action).distinct()).all()),
        }


def export_audit(actor: Actor, uow_factory, fmt: str = "csv", **filters) -> tuple[str, bytes, str]:
    """The filtered audit entries as CSV/XLSX (cells neutralised); the export is itself audited.
    `uow_factory()` gives a fresh unit of work (one to read, one to record the export)."""
    require(actor, Permission.VIEW_AUDIT)
    rows = audit_entries(actor, uow_factory(), **filters)
    return export(actor, "audit_log", rows, fmt, uow_factory(), permission=Permission.VIEW_AUDIT,
                  columns=AUDIT_COLUMNS, filters={k: str(v) for k, v in filters.items()})


def access_log(actor: Actor, uow: UnitOfWork, *, username: Optional[str] = None,
               customer_id: Optional[int] = None, date_from: Optional[dt.date] = None,
               date_to: Optional[dt.date] = None, include_disclosures: bool = True,
               limit: Optional[int] = DEFAULT_LIMIT) -> list[dict]:
    """Who looked at which customer's records, and when, newest first; with the need-to-know
    arrangement look-ups (disclosure log) when `include_disclosures`."""
    require(actor, Permission.VIEW_AUDIT)
    start, end = _bounds(date_from, date_to)
    limit = _limit(limit)
    with uow:
        s = uow.session
        out = []
        sources = [(AccessLog, AccessLog.user_id, AccessLog.what, "case records")]
        if include_disclosures:
            sources.append((DisclosureLog, DisclosureLog.viewer_id, None, "arrangements"))
        for model, user_col, what_col, kind in sources:
            cols = [model.at, user_col, model.customer_id, User.username, User.name,
                    Customer.housing_ref] + ([what_col] if what_col is not None else [])
            stmt = (select(*cols).join(User, User.id == user_col)
                    .join(Customer, Customer.id == model.customer_id))
            if username:
                stmt = stmt.where(User.username == username.strip().lower())
            if customer_id is not None:
                stmt = stmt.where(model.customer_id == customer_id)
            if start:
                stmt = stmt.where(model.at >= start)
            if end:
                stmt = stmt.where(model.at < end)
            for row in s.execute(stmt.order_by(model.at.desc(), model.id.desc()).limit(limit)):
                out.append({"at": row[0], "kind": kind, "user_id": row[1], "customer_id": row[2],
                            "username": row[3], "user": row[4], "customer": row[5],
                            "what": row[6] if what_col is not None else "arrangements"})
        out.sort(key=lambda r: r["at"], reverse=True)
        return out[:limit]


def export_access_log(actor: Actor, uow_factory, fmt: str = "csv", **filters) -> tuple[str, bytes, str]:
    require(actor, Permission.VIEW_AUDIT)
    rows = access_log(actor, uow_factory(), **filters)
    return export(actor, "access_log", rows, fmt, uow_factory(), permission=Permission.VIEW_AUDIT,
                  columns=ACCESS_COLUMNS, filters={k: str(v) for k, v in filters.items()})
