"""A customer's whole history on one page (issue 3): incidents, stage changes, formal actions,
letters, appeals, reviews, service referrals, SPOC and PVP register entries and annotations,
each with who recorded it; hearsay clearly marked as not evidence (clauses 4.2, 6); corrections
shown as "amended on ... by ..." (clause 6). The header gives the current stage, the
restrictions in force and the next deadlines. Viewing a timeline is recorded in the access log.

Paged in SQL (issue 18): the newest (or oldest) `limit` events, each reader ordered and limited in
the database and the readers merged; counts per type are SQL counts. `Timeline.next_after` is
the keyset cursor for the next page ("Show older"). The readers are in timeline_events.py.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import ActionStatus, RegisterStatus, Stage
from core.errors import NotFound, PolicyError
from core.models import (
    AccessLog,
    Appeal,
    AuditEntry,
    Case,
    Customer,
    FormalAction,
    PvpEntry,
    ServiceArea,
    ServiceReferral,
    SpocEntry,
    StageEvent,
    ThirdPartyContact,
    User,
)
from core.permissions import Actor, Permission, require
from core.policy.deadlines import appeal_deadline
from core.readmodel import ReadModel
from core.services.arrangements import interim_in_person
from core.services.timeline_events import (  # noqa: F401  (EVENT_TYPES, NOT_EVIDENCE: public names)
    EVENT_TYPES,
    NOT_EVIDENCE,
    SOURCES,
    Names,
    Source,
    TimelineEvent,
    as_datetime,
    event_from,
    fmt_day,
)

PAGE_SIZE = 100
Cursor = tuple[dt.datetime, int, int]  # (at, reader, id) of the last event shown


@dataclass(frozen=True)
class TimelineCustomer(ReadModel):
    id: int
    name: str
    housing_ref: str
    address: str
    amended_at: dt.datetime | None
    amended_by: str

    @property
    def amended(self) -> str:
        return f"amended on {self.amended_at:%d %b %Y %H:%M} by {self.amended_by}" if self.amended_at else ""


@dataclass(frozen=True)
class Restriction(ReadModel):
    what: str
    terms: str
    review_due: dt.date | None


@dataclass(frozen=True)
class Deadline(ReadModel):
    what: str
    due: dt.date
    overdue: bool


@dataclass(frozen=True)
class TimelineHeader(ReadModel):
    case_id: int | None
    stage: Stage | None
    stage_label: str
    active_restrictions: tuple[Restriction, ...]
    next_deadlines: tuple[Deadline, ...]
    open_referrals: int


@dataclass(frozen=True)
class Timeline(ReadModel):
    """One page of a customer's timeline. `counts`: every event of each type (SQL counts);
    `total`: their sum; `matching`: events passing the filters; `next_after`: the cursor for the
    next page, None on the last one."""

    customer: TimelineCustomer
    header: TimelineHeader
    events: list[TimelineEvent]
    counts: dict[str, int]
    total: int
    matching: int
    next_after: Cursor | None

    def __iter__(self):
        """A page iterates over its events."""
        return iter(self.events)


def _check_filters(
    kinds: Iterable[str] | None, date_from: dt.date | None, date_to: dt.date | None
) -> set[str]:
    wanted = set(kinds) if kinds else set(EVENT_TYPES)
    unknown = wanted - set(EVENT_TYPES)
    if unknown:
        raise PolicyError(f"Unknown timeline type: {', '.join(sorted(unknown))}.")
    if date_from and date_to and date_from > date_to:
        raise PolicyError("The 'from' date must be on or before the 'to' date.")
    return wanted


def _counts(
    uow: UnitOfWork,
    customer_id: int,
    wanted: set[str],
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> tuple[dict[str, int], int]:
    """Events of each type (all of them), and how many pass the filters: counted in SQL."""
    counts = {k: 0 for k in EVENT_TYPES}
    matching = 0
    dated = date_from is not None or date_to is not None
    for source in SOURCES:
        n = (
            uow.session.scalar(
                select(func.count()).select_from(source.model).where(source.scope(customer_id))
            )
            or 0
        )
        counts[source.kind] += n
        if source.kind in wanted and n:
            matching += (
                n
                if not dated
                else uow.session.scalar(
                    select(func.count())
                    .select_from(source.model)
                    .where(source.scope(customer_id), source.in_dates(date_from, date_to))
                )
                or 0
            )
    return counts, matching


def _read_page(
    uow: UnitOfWork,
    customer_id: int,
    names: Names,
    wanted: set[str],
    newest_first: bool,
    date_from: dt.date | None,
    date_to: dt.date | None,
    after: Cursor | None,
    limit: int,
) -> tuple[list[TimelineEvent], bool]:
    """Up to `limit` events from each reader, in the page order, merged; and whether more follow."""
    runs = []
    for index, source in enumerate(SOURCES):
        if source.kind not in wanted:
            continue
        stmt = source.select().where(source.scope(customer_id), source.in_dates(date_from, date_to))
        if after is not None:
            stmt = stmt.where(source.beyond(after, index, newest_first))
        order = (source.at.desc(), source.model.id.desc()) if newest_first else (source.at, source.model.id)
        rows = uow.session.execute(stmt.order_by(*order).limit(limit + 1)).all()
        runs.append([event_from(source, index, row, names) for row in rows])
    merged = list(heapq.merge(*runs, key=lambda e: e.key, reverse=newest_first))
    return merged[:limit], len(merged) > limit


def _with_audit_names(
    uow: UnitOfWork, events: list[TimelineEvent], names_by_username: dict[str, str]
) -> list[TimelineEvent]:
    """Fill in, from the audit log, who first wrote records with no 'recorded by' column and the
    latest correction of records with no 'amended' columns: for the events on this page only."""
    wanted = {(e.entity_type, e.entity_id) for e in events}
    found: dict[tuple[str, int], tuple[str, tuple[dt.datetime, str] | None]] = {}
    for entity_type in {t for t, _ in wanted}:
        ids = [i for t, i in wanted if t == entity_type]
        rows = uow.session.execute(
            select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.at, AuditEntry.username)
            # by record only: adding the customer made SQLite walk all of a customer's audit rows
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id.in_(ids))
            .order_by(AuditEntry.id)
        ).all()
        for entity_id, action, at, username in rows:
            if entity_id is None:  # never: selected by entity id
                continue
            who = names_by_username.get(username, username)
            creator, amended = found.get((entity_type, entity_id), (who, None))
            found[(entity_type, entity_id)] = (creator, (at, who) if action.startswith("amend") else amended)
    out = []
    for e in events:
        creator, amended = found.get((e.entity_type, e.entity_id), ("", None))
        if not e.amended_at and amended:
            e = replace(e, amended_at=as_datetime(amended[0]), amended_by=amended[1])
        out.append(e if e.recorded_by else replace(e, recorded_by=creator))
    return out


def get_timeline(
    actor: Actor,
    customer_id: int,
    uow: UnitOfWork,
    *,
    newest_first: bool = True,
    kinds: Iterable[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    today: dt.date | None = None,
    limit: int = PAGE_SIZE,
    after: Cursor | None = None,
) -> Timeline:
    """One page of the customer's timeline. `kinds` filters by event type (codes of EVENT_TYPES);
    `date_from`/`date_to` by date, both ends included; `after` is the previous page's next_after."""
    require(actor, Permission.VIEW_CASES)
    today = today or dt.date.today()
    wanted = _check_filters(kinds, date_from, date_to)
    limit = max(1, min(int(limit), 1000))
    with uow:
        s = uow.session
        customer = s.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        users = s.execute(select(User.id, User.username, User.name)).all()
        areas = dict(s.execute(select(ServiceArea.id, ServiceArea.name)).all())
        names = Names({uid: name for uid, _u, name in users}, areas)
        events, more = _read_page(
            uow, customer_id, names, wanted, newest_first, date_from, date_to, after, limit
        )
        events = _with_audit_names(uow, events, {u: n for _i, u, n in users})
        counts, matching = _counts(uow, customer_id, wanted, date_from, date_to)
        header = _header(uow, customer_id, names, today)
        summary = _customer(uow, customer, names, {u: n for _i, u, n in users})
        s.add(AccessLog(user_id=actor.user_id, customer_id=customer_id, what="timeline"))
        uow.commit()
    return Timeline(
        customer=summary,
        header=header,
        events=events,
        counts=counts,
        total=sum(counts.values()),
        matching=matching,
        next_after=events[-1].key if more and events else None,
    )


def _customer(
    uow: UnitOfWork, customer: Customer, names: Names, names_by_username: dict[str, str]
) -> TimelineCustomer:
    amended_at, amended_by = customer.amended_at, names.who(customer.amended_by_id)
    if amended_at is None:
        last = uow.session.execute(
            select(AuditEntry.at, AuditEntry.username)
            .where(
                AuditEntry.entity_type == "customer",
                AuditEntry.entity_id == customer.id,
                AuditEntry.action.like("amend%"),
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).first()
        if last is not None:
            amended_at, amended_by = last[0], names_by_username.get(last[1], last[1])
    return TimelineCustomer(
        id=customer.id,
        name=customer.full_name,
        housing_ref=customer.housing_ref,
        address=customer.address,
        amended_at=amended_at and as_datetime(amended_at),
        amended_by=amended_by,
    )


def _header(uow: UnitOfWork, customer_id: int, names: Names, today: dt.date) -> TimelineHeader:
    """The current stage, the restrictions in force and the next deadlines (live rows only)."""
    s = uow.session
    cases = s.scalars(select(Case).where(Case.customer_id == customer_id).order_by(Case.id)).all()
    open_cases = [c for c in cases if c.stage != Stage.CLOSED]
    current = open_cases[-1] if open_cases else (cases[-1] if cases else None)
    restrictions: list[Restriction] = []
    deadlines: list[Deadline] = []

    def deadline(what: str, due: dt.date | None) -> None:
        if due:
            deadlines.append(Deadline(what=what, due=due, overdue=due < today))

    in_cases = select(Case.id).where(Case.customer_id == customer_id)
    for a in s.scalars(
        select(FormalAction).where(
            FormalAction.case_id.in_(in_cases), FormalAction.status == ActionStatus.ACTIVE
        )
    ).all():
        restrictions.append(Restriction(what=a.kind.label, terms=a.terms, review_due=a.review_due))
        deadline(f"Review of {a.kind.label.lower()}", a.review_due)
    for ap in s.scalars(
        select(Appeal).where(Appeal.case_id.in_(in_cases), Appeal.decided_on.is_(None))
    ).all():
        deadline(f"Appeal decision (received {fmt_day(ap.received_on)})", ap.due_on)
    for c in open_cases:
        deadline("Warning-stage review", c.warning_review_due)
    if current is not None and current.stage != Stage.CLOSED:
        last = s.scalars(
            select(StageEvent).where(StageEvent.case_id == current.id).order_by(StageEvent.id.desc()).limit(1)
        ).first()
        if last is not None:
            window_end = appeal_deadline(last.notified_on or last.decided_on)
            if window_end >= today:
                deadline(
                    f"Customer's appeal window for the {last.to_stage.label.lower()} decision closes",
                    window_end,
                )
    _register_rows(uow, customer_id, restrictions, deadline)
    deadlines.sort(key=lambda d: d.due)
    open_referrals = s.scalar(
        select(func.count())
        .select_from(ServiceReferral)
        .where(ServiceReferral.customer_id == customer_id, ServiceReferral.resolved_at.is_(None))
    )
    return TimelineHeader(
        case_id=current.id if current else None,
        stage=current.stage if current else None,
        stage_label=_stage_label(open_cases, current),
        active_restrictions=tuple(restrictions),
        next_deadlines=tuple(deadlines),
        open_referrals=open_referrals or 0,
    )


def _stage_label(open_cases: list[Case], current: Case | None) -> str:
    """The current stage; with open cases in several service areas (clause 5), each area's stage."""
    if len(open_cases) > 1:
        return "; ".join(f"{c.stage.label} ({c.service_area.name})" for c in open_cases)
    return current.stage.label if current else "No case yet"


def _register_rows(uow: UnitOfWork, customer_id: int, restrictions: list[Restriction], deadline) -> None:
    """The interim in-person arrangements, live SPOC and PVP entries and active third-party
    contact, as restrictions in force."""
    s = uow.session
    restrictions += [
        Restriction(what="Interim in-person arrangement", terms=wording, review_due=None)
        for wording in interim_in_person(s, customer_id)
    ]
    for e in s.scalars(
        select(SpocEntry).where(
            SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE
        )
    ).all():
        restrictions.append(
            Restriction(
                what="Single point of contact", terms=e.terms or e.contact_limit, review_due=e.review_due
            )
        )
        deadline("SPOC review", e.review_due)
    for p in s.scalars(
        select(PvpEntry).where(PvpEntry.customer_id == customer_id, PvpEntry.status == RegisterStatus.ACTIVE)
    ).all():
        restrictions.append(
            Restriction(what="PVP register (red flag)", terms=p.arrangements, review_due=p.review_due)
        )
        deadline("PVP entry review", p.review_due)
    for t in s.scalars(
        select(ThirdPartyContact).where(
            ThirdPartyContact.customer_id == customer_id, ThirdPartyContact.active.is_(True)
        )
    ).all():
        restrictions.append(
            Restriction(
                what="Contact via third party",
                terms=f"{t.name} ({t.relationship_to_customer})",
                review_due=None,
            )
        )
