"""The PVP considerations queue, the PVP register and the red-flag list as typed, paged read
models: filtered, ordered, counted and limited in SQL."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import Join

from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.errors import PolicyError
from core.models import Customer, Incident, IncidentBehaviour, PvpConsideration, PvpEntry, User
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    PAGE_SIZE,
    Page,
    _excerpt,
    _today,
    after_clause,
    customer_search,
    make_page,
    narrow_page,
    page_limit,
    page_order,
    review_key,
    status_clause,
)


@dataclass(frozen=True)
class PvpQueueRow:
    consideration_id: int
    customer_id: int
    customer: str
    housing_ref: str
    incident_id: int
    incident_on: dt.date
    raised_on: dt.date
    physical_violence: bool  # the most serious come first
    police_reference: str
    summary: str
    hearsay: bool


@dataclass(frozen=True)
class PvpRegisterRow:
    entry_id: int
    customer_id: int
    customer: str
    housing_ref: str
    flag_type: str
    status: RegisterStatus
    proposed_by: str
    proposed_on: dt.date
    approved_by: str
    reasons: str
    arrangements: str
    two_officers_on_visits: bool
    starts_on: dt.date | None
    review_due: dt.date | None
    review_state: str  # in words; blank while proposed
    customer_notice: str  # in words: "Told in writing 02 Dec 2026", "Not told; reconsider by ..."
    not_notified_reason: str
    reconsider_notice_on: dt.date | None
    ended_on: dt.date | None
    ended_reason: str


@dataclass(frozen=True)
class RedFlagRow:
    """Exactly the housing management system's columns (RED_FLAG_COLUMNS); no incident details."""

    housing_ref: str
    flag_type: str
    start_date: dt.date | None
    review_date: dt.date | None


def sees_pvp_queue(actor: Actor) -> bool:
    """Team leaders (who propose entries) and the H&S Well-being Officer see the queue."""
    return actor.can(Permission.PROPOSE_PVP) or actor.can(Permission.MANAGE_PVP_REGISTER)


def pvp_queue(
    actor: Actor, uow: UnitOfWork, *, after: tuple | None = None, limit: int = PAGE_SIZE
) -> Page[PvpQueueRow]:
    """Open PVP considerations raised by violent or threatening incidents: physical violence
    first, then the newest incident first (issue 15). One page, counted in SQL."""
    if not sees_pvp_queue(actor):
        require(actor, Permission.MANAGE_PVP_REGISTER)
    limit = page_limit(limit)
    where = [PvpConsideration.status == "open", Customer.anonymised_at.is_(None)]
    with uow:
        total = uow.session.scalar(
            select(func.count(PvpConsideration.id))
            .join(Customer, Customer.id == PvpConsideration.customer_id)
            .where(*where)
        )
        page = union_all(*_queue_branches(where, after, limit)).subquery()
        raw = uow.session.execute(
            select(PvpConsideration, Incident, Customer, *page.c)
            .join(page, page.c.k2 == PvpConsideration.id)
            .join(Incident, Incident.id == PvpConsideration.incident_id)
            .join(Customer, Customer.id == PvpConsideration.customer_id)
            .order_by(*page_order(page, descending=True))
            .limit(limit + 1)
        ).all()
        return make_page(raw, limit, total or 0, _queue_row, lambda r: tuple(r[-3:]))


def _queue_branches(where: list, after: tuple | None, limit: int) -> list:
    """The queue's order is (physical violence first, newest incident, id), all descending. A
    sort on that computed flag made the database sort every open consideration (70,000 at
    1,000,000 incidents: 0.7-1 s); instead the most serious and the others are two keyset
    branches, each walking the incidents newest first and stopping at limit + 1 rows."""
    serious = exists().where(
        IncidentBehaviour.incident_id == Incident.id,
        IncidentBehaviour.behaviour.in_(rules.MOST_SERIOUS_BEHAVIOURS),
    )
    key = (Incident.occurred_at, PvpConsideration.id)
    if after is not None and len(after) != 3:
        raise PolicyError("That page of results no longer exists; start from the first page.")
    branches = []
    for flag, condition in ((1, serious), (0, ~serious)):
        if after is not None and after[0] < flag:
            continue  # the cursor is past the most serious already
        since = (
            after_clause(key, after[1:], descending=True) if after is not None and after[0] == flag else []
        )
        branches.append(
            select(
                literal(flag).label("k0"), Incident.occurred_at.label("k1"), PvpConsideration.id.label("k2")
            )
            .select_from(
                _IncidentsFirst(Incident, PvpConsideration, Incident.id == PvpConsideration.incident_id)
            )
            .join(Customer, Customer.id == PvpConsideration.customer_id)
            .where(*where, condition, *since)
            .order_by(Incident.occurred_at.desc(), PvpConsideration.id.desc())
            .limit(limit + 1)
            .subquery()
            .select()
        )
    return branches


class _IncidentsFirst(Join):
    """An inner join whose left side SQLite must read first (CROSS JOIN is SQLite's way to fix the
    join order): left to itself it scanned the 70,000 open considerations and sorted them (0.26 s
    a branch at 1,000,000 incidents) instead of walking the incidents newest first (0.04 s).
    Other databases get a plain JOIN and plan it themselves (PostgreSQL walks the index)."""

    inherit_cache = True


@compiles(_IncidentsFirst)
def _plain_join(join: _IncidentsFirst, compiler: Any, **kw: Any) -> str:
    return str(compiler.visit_join(join, **kw))


@compiles(_IncidentsFirst, "sqlite")
def _cross_join(join: _IncidentsFirst, compiler: Any, **kw: Any) -> str:
    return str(compiler.visit_join(join, **kw)).replace(" JOIN ", " CROSS JOIN ", 1)


def _queue_row(r) -> PvpQueueRow:
    c, i, cust, serious = r[:4]
    return PvpQueueRow(
        consideration_id=c.id,
        customer_id=cust.id,
        customer=cust.full_name,
        housing_ref=cust.housing_ref,
        incident_id=i.id,
        incident_on=i.occurred_at.date(),
        raised_on=c.raised_at.date(),
        physical_violence=bool(serious),
        police_reference=i.police_reference,
        summary=_excerpt(i.description),
        hearsay=not i.counts_as_evidence,
    )


def pvp_register(
    actor: Actor,
    uow: UnitOfWork,
    status: str = "active",
    today: dt.date | None = None,
    *,
    search: str = "",
    after: tuple | None = None,
    limit: int = PAGE_SIZE,
) -> Page[PvpRegisterRow]:
    """The PVP register, most urgent review first: proposed, active, due for review, overdue,
    ended, rejected, or all; optionally one customer by name or housing reference."""
    require(actor, Permission.VIEW_REGISTERS)
    today, limit = _today(today), page_limit(limit)
    where = status_clause(PvpEntry, status, today) + customer_search(search)
    proposer, approver = aliased(User), aliased(User)
    key = review_key(PvpEntry)
    base = select(PvpEntry.id).join(Customer, Customer.id == PvpEntry.customer_id).where(*where)
    with uow:
        total = uow.session.scalar(base.with_only_columns(func.count(PvpEntry.id)))
        page = narrow_page(base, key, after, limit)
        raw = uow.session.execute(
            select(PvpEntry, Customer, proposer.name, approver.name, *page.c)
            .join(page, page.c.k1 == PvpEntry.id)
            .join(Customer, Customer.id == PvpEntry.customer_id)
            .outerjoin(proposer, proposer.id == PvpEntry.proposed_by_id)
            .outerjoin(approver, approver.id == PvpEntry.approved_by_id)
            .order_by(*page_order(page))
        ).all()
        return make_page(
            raw, limit, total or 0, lambda r: _register_row(*r[:4], today=today), lambda r: tuple(r[-2:])
        )


def _register_row(
    e: PvpEntry, customer: Customer, proposed_by: str | None, approved_by: str | None, *, today: dt.date
) -> PvpRegisterRow:
    pending = e.status == RegisterStatus.PENDING
    state = rules.review_state(e.review_due, today, active=e.status == RegisterStatus.ACTIVE)
    return PvpRegisterRow(
        entry_id=e.id,
        customer_id=e.customer_id,
        customer=customer.full_name,
        housing_ref=customer.housing_ref,
        flag_type=e.flag_type,
        status=e.status,
        proposed_by=proposed_by or "",
        proposed_on=e.proposed_at.date(),
        approved_by="" if pending else (approved_by or ""),
        reasons=e.reasons,
        arrangements=e.arrangements,
        two_officers_on_visits=e.two_officers_on_visits,
        starts_on=e.starts_on,
        review_due=e.review_due,
        review_state="" if pending else rules.REVIEW_STATE_LABELS[state],
        customer_notice=rules.customer_notice_text(
            e.customer_notified_on, e.not_notified_reason, e.reconsider_notice_on
        ),
        not_notified_reason=e.not_notified_reason,
        reconsider_notice_on=e.reconsider_notice_on,
        ended_on=e.ended_on,
        ended_reason=e.ended_reason,
    )


def _red_flag_select():
    return (
        select(Customer.housing_ref, PvpEntry.flag_type, PvpEntry.starts_on, PvpEntry.review_due, PvpEntry.id)
        .join(Customer, Customer.id == PvpEntry.customer_id)
        .where(PvpEntry.status == RegisterStatus.ACTIVE)
    )


def red_flags(
    actor: Actor, uow: UnitOfWork, *, after: tuple | None = None, limit: int = PAGE_SIZE
) -> Page[RedFlagRow]:
    """One page of the red-flag list, by housing reference (what the page shows; the export
    has every row)."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    limit = page_limit(limit)
    key = (Customer.housing_ref, PvpEntry.id)
    with uow:
        total = uow.session.scalar(
            select(func.count(func.distinct(Customer.housing_ref)))
            .select_from(PvpEntry)
            .join(Customer, Customer.id == PvpEntry.customer_id)
            .where(PvpEntry.status == RegisterStatus.ACTIVE)
        )
        raw = uow.session.execute(
            _red_flag_select().where(*after_clause(key, after)).order_by(*key).limit(limit + 1)
        ).all()
        return make_page(raw, limit, total or 0, lambda r: RedFlagRow(*r[:4]), lambda r: (r[0], r[4]))


INTERIM_FLAG = "Interim in-person arrangement: "


def _interim_flags(uow: UnitOfWork) -> list[RedFlagRow]:
    """Tenants with an interim in-person arrangement in force (clause 4.1: from a violent incident
    until the H&S Well-being Officer decides its PVP consideration) and no live PVP entry yet: the
    arrangement's wording and the date it began, no incident details. Few rows at any time."""
    on_register = exists().where(
        PvpEntry.customer_id == Incident.customer_id, PvpEntry.status == RegisterStatus.ACTIVE
    )
    rows = uow.session.execute(
        select(Customer.housing_ref, Incident.in_person_arrangement, Incident.occurred_at)
        .join(Customer, Customer.id == Incident.customer_id)
        .join(PvpConsideration, PvpConsideration.incident_id == Incident.id)
        .where(PvpConsideration.status != "closed", Incident.in_person_arrangement != "", ~on_register)
        .order_by(Customer.housing_ref, Incident.occurred_at, Incident.id)
    ).all()
    by_ref: dict[str, tuple[list[str], dt.date]] = {}
    for ref, wording, occurred_at in rows:
        wordings, began = by_ref.setdefault(ref, ([], occurred_at.date()))
        if wording not in wordings:
            wordings.append(wording)
    return [
        RedFlagRow(ref, INTERIM_FLAG + "; ".join(wordings), began, None)
        for ref, (wordings, began) in by_ref.items()
    ]


def _live_red_flags(uow: UnitOfWork, batch: int) -> Iterator[RedFlagRow]:
    seen_last: str | None = None
    rows = uow.session.execute(
        _red_flag_select()
        .order_by(Customer.housing_ref, PvpEntry.starts_on, PvpEntry.id)
        .execution_options(yield_per=batch)
    )
    for ref, flag_type, starts_on, review_due, _id in rows:
        if ref != seen_last:
            seen_last = ref
            yield RedFlagRow(ref, flag_type, starts_on, review_due)


def iter_red_flags(uow: UnitOfWork, batch: int = 1000) -> Iterator[RedFlagRow]:
    """Every flagged tenant once (their earliest live entry), streamed in batches by reference;
    with them, by reference, the tenants under an interim in-person arrangement awaiting the
    H&S Well-being Officer's decision."""
    with uow:
        interim = _interim_flags(uow)
        yield from heapq.merge(_live_red_flags(uow, batch), interim, key=lambda r: r.housing_ref)


def red_flag_export(actor: Actor, uow: UnitOfWork) -> list[RedFlagRow]:
    """The flag list the housing management system needs: one row per flagged tenant with the
    housing-system reference, flag type, start and review dates; no incident details."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    return list(iter_red_flags(uow))
