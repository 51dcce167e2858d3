"""Reading customers: search, the record the Customers page shows, and a customer's open
cases (re-exported from core.services.customers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from core.db import UnitOfWork
from core.enums import Channel, Stage, Vulnerability
from core.models import Case, Customer, ServiceArea, ThirdPartyContact
from core.permissions import Actor, Permission, acts_in_area, require
from core.readmodel import ReadModel
from core.validation import clean_line

SEARCH_LIMIT = 50


def search_customers(
    actor: Actor, query: str, uow: UnitOfWork, limit: int = SEARCH_LIMIT
) -> list[CustomerRow]:
    """Find by name, housing reference or address fragment (case-insensitive)."""
    if not (actor.can(Permission.VIEW_CASES) or actor.can(Permission.VIEW_ARRANGEMENTS)):
        require(actor, Permission.VIEW_CASES)
    words = clean_line(query, "Search", max_len=100).lower().split()
    if not words:
        return []
    with uow:
        if len(words) == 1:  # an exact housing reference: one indexed look-up
            exact = uow.session.scalar(
                select(Customer).where(
                    Customer.housing_ref == words[0].upper(), Customer.anonymised_at.is_(None)
                )
            )
            if exact is not None:
                return [_summary(exact)]
        stmt = select(Customer).where(Customer.anonymised_at.is_(None))
        for word in words[:5]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(Customer.search_text.like(pattern, escape="\\"), Customer.housing_ref == word.upper())
            )
        # Ordering by an expression (not the indexed column) keeps the planner from walking the
        # last-name index row by row, which is ~10x slower when few customers match (bench/timeline.py).
        rows = uow.session.scalars(
            stmt.order_by(func.lower(Customer.last_name), func.lower(Customer.first_name), Customer.id).limit(
                limit
            )
        )
        return [_summary(c) for c in rows]


@dataclass(frozen=True)
class CustomerRow(ReadModel):
    """One search result."""

    id: int
    name: str
    housing_ref: str
    address: str


@dataclass(frozen=True)
class VulnerabilityRow(ReadModel):
    id: int
    kind: Vulnerability
    label: str
    details: str


@dataclass(frozen=True)
class ContactRow(ReadModel):
    """Contact via a third party (clause 4.1)."""

    id: int
    name: str
    relationship_to_customer: str
    phone: str
    email: str
    active: bool
    started_on: dt.date | None
    stopped_on: dt.date | None
    stopped_reason: str


@dataclass(frozen=True)
class CustomerRecord(ReadModel):
    """A customer's record as the Customers page shows and corrects it. `version` is what a
    correction sends back as expected_version."""

    id: int
    name: str
    housing_ref: str
    title: str
    first_name: str
    last_name: str
    address: str
    address_line1: str
    address_line2: str
    town: str
    postcode: str
    phone: str
    email: str
    preferred_contact: Channel
    preferred_contact_label: str
    service_area_id: int | None
    legal_hold: bool
    created_at: dt.datetime | None
    amended_at: dt.datetime | None
    amended_by: str
    version: int
    vulnerabilities: tuple[VulnerabilityRow, ...]
    third_party_contacts: tuple[ContactRow, ...]


def _summary(c: Customer) -> CustomerRow:
    return CustomerRow(id=c.id, name=c.full_name, housing_ref=c.housing_ref, address=c.address)


def _contact(t: ThirdPartyContact) -> ContactRow:
    return ContactRow(
        id=t.id,
        name=t.name,
        relationship_to_customer=t.relationship_to_customer,
        phone=t.phone,
        email=t.email,
        active=t.active,
        started_on=t.started_on,
        stopped_on=t.stopped_on,
        stopped_reason=t.stopped_reason,
    )


@dataclass(frozen=True)
class OpenCaseRow(ReadModel):
    """One of a customer's open cases, for a case chooser: a customer may have an open case in
    each service area, each on its own stage (clause 5). `can_act`: the actor may change it."""

    case_id: int
    service_area_id: int
    service_area: str
    stage: Stage
    stage_label: str
    can_act: bool


def open_cases(actor: Actor, customer_id: int, uow: UnitOfWork) -> list[OpenCaseRow]:
    """The customer's open cases, the actor's own service area first. Every case can be read;
    a team leader or manager acts only on their own area's (core.permissions.acts_in_area)."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = uow.session.execute(
            select(Case.id, Case.service_area_id, ServiceArea.name, Case.stage)
            .join(ServiceArea, ServiceArea.id == Case.service_area_id)
            .where(Case.customer_id == customer_id, Case.stage != Stage.CLOSED)
            .order_by(Case.id)
        ).all()
        found = [
            OpenCaseRow(i, area_id, area, stage, stage.label, acts_in_area(actor, area_id))
            for i, area_id, area, stage in rows
        ]
        return sorted(found, key=lambda r: (r.service_area_id != actor.service_area_id, r.case_id))
