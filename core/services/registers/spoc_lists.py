"""The SPOC register and its requests as typed, paged read models, and the bounded choices the
SPOC forms offer (cases at the formal stage, evidence, officers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.db import UnitOfWork
from core.enums import EvidenceSource, RegisterStatus, Stage, channel_labels
from core.errors import NotFound
from core.models import Case, Customer, Incident, ServiceArea, SpocEntry, SpocRequest, User
from core.models.registers import spoc_request_incident
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    PAGE_SIZE,
    SPOC_OFFICER_ROLES,
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
from core.validation import parse_enum


@dataclass(frozen=True)
class SpocRegisterRow:
    entry_id: int
    customer_id: int
    customer: str
    housing_ref: str
    case_id: int
    service_area: str
    spoc_officer: str
    channels: str  # the channels' labels, e.g. "Email, Phone"
    contact_times: str
    contact_limit: str
    terms: str
    starts_on: dt.date
    review_due: dt.date
    status: RegisterStatus
    review_state: str  # in words: "Review overdue", "Review due in the next 30 days", ...
    ended_on: dt.date | None
    ended_reason: str


@dataclass(frozen=True)
class EvidenceChoice:
    id: int
    occurred_on: dt.date
    category: str
    summary: str


@dataclass(frozen=True)
class SpocRequestRow:
    request_id: int
    case_id: int
    customer_id: int
    customer: str
    housing_ref: str
    requested_by: str
    requested_on: dt.date
    reason: str
    status: RegisterStatus
    evidence: tuple[EvidenceChoice, ...]
    meeting_on: dt.date | None
    attendees: str
    discussion: str
    decision_reason: str
    decided_by: str


@dataclass(frozen=True)
class CaseChoice:
    case_id: int
    customer_id: int
    customer: str
    housing_ref: str


@dataclass(frozen=True)
class OfficerChoice:
    id: int
    name: str
    role: str
    service_area: str


def spoc_register(
    actor: Actor,
    uow: UnitOfWork,
    status: str = "active",
    service_area_id: int | None = None,
    today: dt.date | None = None,
    *,
    search: str = "",
    after: tuple | None = None,
    limit: int = PAGE_SIZE,
) -> Page[SpocRegisterRow]:
    """The central SPOC register, most urgent review first: active, due for review (next 30
    days), overdue, ended, or all; by service area and customer. One page, filtered and counted
    in SQL."""
    require(actor, Permission.VIEW_REGISTERS)
    today, limit = _today(today), page_limit(limit)
    where = status_clause(SpocEntry, status, today) + customer_search(search)
    if service_area_id:
        where.append(Case.service_area_id == service_area_id)
    officer = aliased(User)
    key = review_key(SpocEntry)
    base = (
        select(SpocEntry.id)
        .join(Case, Case.id == SpocEntry.case_id)
        .join(Customer, Customer.id == SpocEntry.customer_id)
        .where(*where)
    )
    with uow:
        total = uow.session.scalar(base.with_only_columns(func.count(SpocEntry.id)))
        page = narrow_page(base, key, after, limit)
        raw = uow.session.execute(
            select(SpocEntry, Customer, ServiceArea.name, officer.name, *page.c)
            .join(page, page.c.k1 == SpocEntry.id)
            .join(Customer, Customer.id == SpocEntry.customer_id)
            .join(Case, Case.id == SpocEntry.case_id)
            .join(ServiceArea, ServiceArea.id == Case.service_area_id)
            .outerjoin(officer, officer.id == SpocEntry.spoc_user_id)
            .order_by(*page_order(page))
        ).all()
        return make_page(
            raw, limit, total or 0, lambda r: _register_row(*r[:4], today=today), lambda r: tuple(r[-2:])
        )


def _register_row(
    entry: SpocEntry, customer: Customer, area: str, officer: str | None, *, today: dt.date
) -> SpocRegisterRow:
    active = entry.status == RegisterStatus.ACTIVE
    state = rules.review_state(entry.review_due, today, active=active)
    return SpocRegisterRow(
        entry_id=entry.id,
        customer_id=entry.customer_id,
        customer=customer.full_name,
        housing_ref=customer.housing_ref,
        case_id=entry.case_id,
        service_area=area,
        spoc_officer=officer or "",
        channels=", ".join(channel_labels(entry.channels)),
        contact_times=entry.contact_times,
        contact_limit=entry.contact_limit,
        terms=entry.terms,
        starts_on=entry.starts_on,
        review_due=entry.review_due,
        status=entry.status,
        review_state=rules.REVIEW_STATE_LABELS[state],
        ended_on=entry.ended_on,
        ended_reason=entry.ended_reason,
    )


def spoc_requests(
    actor: Actor,
    uow: UnitOfWork,
    status: str = "pending",
    *,
    after: tuple | None = None,
    limit: int = PAGE_SIZE,
) -> Page[SpocRequestRow]:
    """SPOC requests, oldest first, with their reasons, evidence and decisions (rejected ones
    keep their reasons): pending, active (approved), rejected or all."""
    require(actor, Permission.VIEW_REGISTERS)
    limit = page_limit(limit)
    where = [] if status == "all" else [SpocRequest.status == parse_enum(RegisterStatus, status, "Status")]
    requester, decider = aliased(User), aliased(User)
    key = (SpocRequest.requested_at, SpocRequest.id)
    base = select(SpocRequest.id).where(*where)
    with uow:
        total = uow.session.scalar(base.with_only_columns(func.count(SpocRequest.id)))
        page = narrow_page(base, key, after, limit)
        raw = uow.session.execute(
            select(SpocRequest, Customer, requester.name, decider.name, *page.c)
            .join(page, page.c.k1 == SpocRequest.id)
            .join(Customer, Customer.id == SpocRequest.customer_id)
            .outerjoin(requester, requester.id == SpocRequest.requested_by_id)
            .outerjoin(decider, decider.id == SpocRequest.decided_by_id)
            .order_by(*page_order(page))
        ).all()
        evidence = _evidence_of(uow, page)
        return make_page(
            raw,
            limit,
            total or 0,
            lambda r: _request_row(r[0], r[1], r[2], r[3], evidence.get(r[0].id, ())),
            lambda r: tuple(r[-2:]),
        )


def _evidence_of(uow: UnitOfWork, page) -> dict[int, tuple[EvidenceChoice, ...]]:
    """The linked incidents of the requests on one page (a subquery: the page's own query)."""
    link = spoc_request_incident.c
    rows = uow.session.execute(
        select(link.spoc_request_id, Incident)
        .join(Incident, Incident.id == link.incident_id)
        .where(link.spoc_request_id.in_(select(page.c.k1)))
        .order_by(link.spoc_request_id, Incident.occurred_at)
    ).all()
    out: dict[int, list[EvidenceChoice]] = {}
    for request_id, incident in rows:
        out.setdefault(request_id, []).append(_evidence_choice(incident))
    return {k: tuple(v) for k, v in out.items()}


def _evidence_choice(i: Incident) -> EvidenceChoice:
    return EvidenceChoice(
        id=i.id,
        occurred_on=i.occurred_at.date(),
        category=i.category.label,
        summary=_excerpt(i.description, 100),
    )


def _request_row(
    r: SpocRequest,
    customer: Customer,
    requested_by: str | None,
    decided_by: str | None,
    evidence: tuple[EvidenceChoice, ...],
) -> SpocRequestRow:
    return SpocRequestRow(
        request_id=r.id,
        case_id=r.case_id,
        customer_id=r.customer_id,
        customer=customer.full_name,
        housing_ref=customer.housing_ref,
        requested_by=requested_by or "",
        requested_on=r.requested_at.date(),
        reason=r.reason,
        status=r.status,
        evidence=evidence,
        meeting_on=r.meeting_on,
        attendees=r.attendees,
        discussion=r.discussion,
        decision_reason=r.decision_reason,
        decided_by=decided_by or "",
    )


def spoc_request_cases(
    actor: Actor, uow: UnitOfWork, *, search: str = "", after: tuple | None = None, limit: int = PAGE_SIZE
) -> Page[CaseChoice]:
    """Open cases at the formal stage, where a SPOC may be considered (clause 5), by customer
    name; one page, optionally narrowed by a search on the customer."""
    require(actor, Permission.REQUEST_SPOC)
    limit = page_limit(limit)
    where = [Case.stage == Stage.FORMAL, Customer.anonymised_at.is_(None), *customer_search(search)]
    key = (Customer.last_name, Case.id)
    with uow:
        total = uow.session.scalar(
            select(func.count(Case.id)).join(Customer, Customer.id == Case.customer_id).where(*where)
        )
        raw = uow.session.execute(
            select(Case.id, Customer)
            .join(Customer, Customer.id == Case.customer_id)
            .where(*where, *after_clause(key, after))
            .order_by(*key)
            .limit(limit + 1)
        ).all()
        return make_page(
            raw,
            limit,
            total or 0,
            lambda r: CaseChoice(
                case_id=r[0], customer_id=r[1].id, customer=r[1].full_name, housing_ref=r[1].housing_ref
            ),
            lambda r: (r[1].last_name, r[0]),
        )


def spoc_evidence_choices(
    actor: Actor, case_id: int, uow: UnitOfWork, limit: int = 100
) -> list[EvidenceChoice]:
    """The customer's most recent counting (non-hearsay) incidents, newest first, to link as
    evidence; at most `limit` of them."""
    require(actor, Permission.REQUEST_SPOC)
    limit = page_limit(limit)
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        incidents = uow.session.scalars(
            select(Incident)
            .where(
                Incident.customer_id == case.customer_id,  # Incident.counts_as_evidence,
                Incident.evidence_source != EvidenceSource.HEARSAY,
            )  # in SQL
            .order_by(Incident.occurred_at.desc(), Incident.id.desc())
            .limit(limit)
        ).all()
        return [_evidence_choice(i) for i in incidents]


def spoc_officer_choices(actor: Actor, uow: UnitOfWork) -> list[OfficerChoice]:
    """Active staff who may be named as a single point of contact."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    with uow:
        users = uow.session.scalars(
            select(User).where(User.active.is_(True), User.role.in_(SPOC_OFFICER_ROLES)).order_by(User.name)
        ).all()
        return [
            OfficerChoice(
                id=u.id,
                name=u.name,
                role=u.role.label,
                service_area=u.service_area.name if u.service_area else "",
            )
            for u in users
        ]
