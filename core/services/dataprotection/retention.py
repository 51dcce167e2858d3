"""The retention review: closed cases with no activity for the retention period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from core.db import UnitOfWork
from core.enums import ActionStatus, RegisterStatus, Stage
from core.errors import PolicyError
from core.models import (
    Case,
    Customer,
    DataRequest,
    FormalAction,
    Incident,
    PvpEntry,
    SpocEntry,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.services.attachments import remove_stored_files
from core.services.dataprotection._common import (
    _LINK_KEYS,
    DELETE_ORDER,
    T,
    _ids,
    _in,
)
from core.services.dataprotection.collect import _collect
from core.services.households import remove_empty_households

# ---- retention ----------------------------------------------------------------------------

_ACTIVITY = [  # (table, case column, date/time columns that count as activity)
    ("incident", "case_id", ("occurred_at", "recorded_at", "amended_at")),
    ("stage_event", "case_id", ("decided_on", "recorded_at")),
    ("formal_action", "case_id", ("starts_on", "ended_on")),
    ("review", "case_id", ("held_on", "recorded_at")),
    ("appeal", "case_id", ("received_on", "decided_on", "recorded_at")),
    ("letter", "case_id", ("created_at", "sent_on")),
    ("service_referral", "case_id", ("raised_at", "resolved_at")),
    ("spoc_request", "case_id", ("requested_at", "decided_at")),
    ("spoc_entry", "case_id", ("starts_on", "ended_on")),
]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


@dataclass(frozen=True)
class RetentionCandidate:
    """A closed case past the retention period, and why it may not be deleted yet."""

    case_id: int
    customer_id: int
    customer: str
    closed_at: dt.date | None
    last_activity: dt.date
    blocked: bool
    blocked_reason: str


@dataclass(frozen=True)
class RetentionReview:
    years: int
    cutoff: dt.date
    cases: list[RetentionCandidate]


def _latest_activity(s, cases: list[Case]) -> dict[int, dt.date]:
    """Each case's latest activity: its own dates, then the latest date on each related table
    (one grouped query per table, in chunks of 500 ids)."""
    latest: dict[int, dt.date] = {}
    for case in cases:
        for value in (case.opened_at, case.closed_at):
            if day := _as_date(value):
                latest[case.id] = max(latest.get(case.id, dt.date.min), day)
    ids = [case.id for case in cases]
    for name, case_col, columns in _ACTIVITY:
        table = T[name]
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            stmt = (
                select(table.c[case_col], *[func.max(table.c[col]) for col in columns])
                .where(table.c[case_col].in_(part))
                .group_by(table.c[case_col])
            )
            for case_id, *values in s.execute(stmt):
                for value in values:
                    if day := _as_date(value):
                        latest[case_id] = max(latest.get(case_id, dt.date.min), day)
    return latest


def _retention_blockers(s, case: Case, customer: Customer) -> list[str]:
    """Why a case due for deletion must be kept: a legal hold, an open request, an active restriction."""
    open_requests = (
        s.scalar(
            select(func.count())
            .select_from(DataRequest)
            .where(DataRequest.customer_id == customer.id, DataRequest.status == "open")
        )
        or 0
    )
    active = (
        s.scalar(
            select(func.count())
            .select_from(FormalAction)
            .where(FormalAction.case_id == case.id, FormalAction.status == ActionStatus.ACTIVE)
        )
        or 0
    )
    blockers = rules.retention_blockers(
        rules.Holds(legal_hold=bool(customer.legal_hold), legal_hold_reason=customer.legal_hold_reason or "")
    )
    if open_requests:
        blockers.append("The customer has an open data-protection request.")
    if active:
        blockers.append("A restriction on this case is still marked active.")
    return blockers


def _stale_cases(
    s, today: dt.date, years: int, case_ids: Iterable[int] | None = None
) -> list[RetentionCandidate]:
    cutoff = rules.retention_cutoff(today, years)
    closed_by = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    stmt = (
        select(Case, Customer)
        .join(Customer, Customer.id == Case.customer_id)
        .where(Case.stage == Stage.CLOSED, Case.closed_at < closed_by)
    )  # closed later: not yet due
    if case_ids is not None:
        stmt = stmt.where(_in(Case.id, case_ids))
    rows = s.execute(stmt.order_by(Case.id)).all()
    latest = _latest_activity(s, [case for case, _ in rows])
    out = []
    for case, customer in rows:
        last = latest.get(case.id, dt.date.min)
        if not rules.is_due_for_deletion(True, last, today, years):
            continue
        blockers = _retention_blockers(s, case, customer)
        out.append(
            RetentionCandidate(
                case_id=case.id,
                customer_id=customer.id,
                customer=f"{customer.full_name} ({customer.housing_ref})",
                closed_at=_as_date(case.closed_at),
                last_activity=last,
                blocked=bool(blockers),
                blocked_reason=" ".join(blockers),
            )
        )
    return out


def retention_candidates(
    actor: Actor, uow: UnitOfWork, today: dt.date | None = None, years: int | None = None
) -> RetentionReview:
    """Closed cases with no activity for the retention period (default 6 years, or
    FT_RETENTION_YEARS), for the DMO to review before confirming deletion."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    years = rules.retention_years(years)
    with uow:
        return RetentionReview(
            years=years,
            cutoff=rules.retention_cutoff(today, years),
            cases=_stale_cases(uow.session, today, years),
        )


def _delete_records(s, records: dict[str, list[dict]]) -> dict[str, int]:
    remove_stored_files(records.get("attachment") or [])  # issue 16: files kept in a folder
    deleted = {}
    if records["pvp_consideration"]:  # a register entry that stays no longer points at it
        s.execute(
            update(T["pvp_entry"])
            .where(T["pvp_entry"].c.consideration_id.in_(_ids(records["pvp_consideration"])))
            .values(consideration_id=None)
        )
    for name in DELETE_ORDER:
        rows = records.get(name) or []
        if not rows:
            continue
        table = T[name]
        if name in _LINK_KEYS:
            first, second = _LINK_KEYS[name]
            for row in rows:
                s.execute(delete(table).where(table.c[first] == row[first], table.c[second] == row[second]))
        else:
            ids = sorted(_ids(rows))
            for chunk in range(0, len(ids), 500):
                s.execute(delete(table).where(table.c.id.in_(ids[chunk : chunk + 500])))
        deleted[name] = len(rows)
    return deleted


def _nothing_else_left(s, customer: Customer) -> bool:
    def count(model, *where) -> int:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

    live = (RegisterStatus.ACTIVE, RegisterStatus.PENDING)
    return not (
        customer.legal_hold
        or count(Case, Case.customer_id == customer.id)
        or count(Incident, Incident.customer_id == customer.id)
        or count(SpocEntry, SpocEntry.customer_id == customer.id, SpocEntry.status.in_(live))
        or count(PvpEntry, PvpEntry.customer_id == customer.id, PvpEntry.status.in_(live))
        or count(DataRequest, DataRequest.customer_id == customer.id, DataRequest.status == "open")
    )


def _refuse_not_due(wanted: list[int], due: dict[int, RetentionCandidate], years: int) -> None:
    """Refuse the whole deletion if any chosen case is not due, or is blocked."""
    problems = [
        f"case {cid} is not due for deletion (not closed, or active within {years} years)"
        for cid in wanted
        if cid not in due
    ]
    problems += [
        f"case {cid}: {due[cid].blocked_reason}" for cid in wanted if cid in due and due[cid].blocked
    ]
    if problems:
        raise PolicyError("Nothing was deleted: " + "; ".join(problems) + ".")


def _delete_customer_if_empty(uow: UnitOfWork, actor: Actor, customer_id: int, rule: str) -> dict | None:
    """Delete the customer and what is left of their records when no case of theirs remains;
    audited with counts only. Returns the counts deleted, or None when the customer stays."""
    s = uow.session
    customer = s.get_one(Customer, customer_id)
    if _nothing_else_left(s, customer):
        rest = _collect(s, customer_id)
        rest["audit_entry"] = []
        gone = _delete_records(s, rest)
        gone["household"] = remove_empty_households(
            s, _ids(rest["household"])
        )  # issue 16: an address nobody is at
        uow.audit(
            actor,
            "retention_delete_customer",
            entity_type="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            before={"counts": gone},
            after=None,
            reason=rule,
        )
        return gone
    return None


def confirm_retention_deletion(
    actor: Actor, case_ids: list[int], uow: UnitOfWork, today: dt.date | None = None, years: int | None = None
) -> dict:
    """Delete the confirmed cases completely, across every table and letter; the customer too
    when nothing else is left. Audit entries stay; the deletion itself is audited with record
    ids and counts only, never the deleted personal data."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    years = rules.retention_years(years)
    wanted = sorted({int(c) for c in case_ids or []})
    if not wanted:
        raise PolicyError("Choose at least one case to delete.")
    totals: dict[str, int] = {}
    customers_deleted: list[int] = []
    with uow:
        s = uow.session
        due = {c.case_id: c for c in _stale_cases(s, today, years, wanted)}
        _refuse_not_due(wanted, due, years)
        cutoff = rules.retention_cutoff(today, years)
        rule = f"Retention: closed, no activity for {years} years (cut-off {cutoff:%d %B %Y})."
        by_customer: dict[int, set[int]] = {}
        for cid in wanted:
            by_customer.setdefault(due[cid].customer_id, set()).add(cid)
        for customer_id, cases in by_customer.items():
            records = _collect(s, customer_id, cases)
            ids = {
                name: sorted(_ids(rows)) for name, rows in records.items() if rows and name not in _LINK_KEYS
            }
            deleted = _delete_records(s, records)
            for cid in sorted(cases):
                uow.audit(
                    actor,
                    "retention_delete_case",
                    entity_type="case_file",
                    entity_id=cid,
                    customer_id=customer_id,
                    before={"record_ids": ids, "counts": deleted},
                    after=None,
                    reason=rule,
                )
            for name, n in deleted.items():
                totals[name] = totals.get(name, 0) + n
            s.expire_all()
            gone = _delete_customer_if_empty(uow, actor, customer_id, rule)
            if gone is not None:
                for name, n in gone.items():
                    totals[name] = totals.get(name, 0) + n
                customers_deleted.append(customer_id)
        uow.commit()
    return {"cases_deleted": wanted, "customers_deleted": customers_deleted, "rows_deleted": totals}
