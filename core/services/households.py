"""Issue 16 item 4: households at an address (a property reference from the housing system),
and the visit-planning view: what a visiting officer or contractor must do at an address,
from every member's arrangements (core.services.arrangements.arrangements_in_force, the one
home of clause 4.2), never the reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, exists, select

from core.db import UnitOfWork, snapshot
from core.enums_evidence import HouseholdRole
from core.errors import NotFound, PolicyError
from core.models import Customer, DisclosureLog, Household, HouseholdMember
from core.permissions import Actor, Permission, require
from core.services.arrangements import arrangements_in_force
from core.validation import clean_line, parse_enum


@dataclass(frozen=True)
class Member:
    customer_id: int
    name: str
    housing_ref: str
    role: str


@dataclass(frozen=True)
class HouseholdView:
    household_id: int
    property_ref: str
    address: str
    members: tuple[Member, ...]


@dataclass(frozen=True)
class VisitNote:
    """What to do when visiting, for one member: arrangements only, never why."""

    name: str
    two_officers_on_visits: bool
    red_flag: bool
    visit_arrangements: tuple[str, ...]
    restrictions: tuple[str, ...]
    single_point_of_contact: tuple[str, ...]
    whom_to_contact: tuple[str, ...]


@dataclass(frozen=True)
class VisitPlan:
    property_ref: str
    address: str
    two_officers_on_visits: bool
    notes: tuple[VisitNote, ...]

    @property
    def anything_to_know(self) -> bool:
        return bool(self.notes)


def _norm_ref(value: str) -> str:
    return clean_line(value, "Property reference", required=True, max_len=40).upper().replace(" ", "")


def add_to_household(
    actor: Actor,
    customer_id: int,
    property_ref: str,
    uow: UnitOfWork,
    *,
    role: str = HouseholdRole.TENANT.value,
    address_line1: str = "",
    address_line2: str = "",
    town: str = "",
    postcode: str = "",
    joined_on: dt.date | None = None,
) -> int:
    """Put a customer in the household at a property (created on first use); a customer belongs
    to one household, so this moves them. Returns the household id."""
    require(actor, Permission.RECORD_INCIDENTS)
    ref = _norm_ref(property_ref)
    kind = parse_enum(HouseholdRole, role, "Role in the household")
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        household = uow.session.scalar(select(Household).where(Household.property_ref == ref))
        if household is None:
            household = Household(
                property_ref=ref,
                address_line1=clean_line(address_line1 or customer.address_line1, "Address"),
                address_line2=clean_line(address_line2 or customer.address_line2, "Address"),
                town=clean_line(town or customer.town, "Town"),
                postcode=clean_line(postcode or customer.postcode, "Postcode", max_len=12),
            )
            uow.session.add(household)
            uow.flush()
            uow.audit(
                actor, "create_household", household, customer_id=customer_id, after=snapshot(household)
            )
        member = uow.session.scalar(select(HouseholdMember).where(HouseholdMember.customer_id == customer_id))
        before = snapshot(member) if member else None
        if member is None:
            member = HouseholdMember(customer_id=customer_id, household_id=household.id)
            uow.session.add(member)
        member.household_id, member.role, member.joined_on = household.id, kind, joined_on
        member.recorded_by_id = actor.user_id
        uow.flush()
        uow.audit(actor, "join_household", member, before=before, after=snapshot(member))
        uow.commit()
        return household.id


def _view(session, household: Household) -> HouseholdView:
    rows = session.execute(
        select(HouseholdMember, Customer)
        .join(Customer, Customer.id == HouseholdMember.customer_id)
        .where(HouseholdMember.household_id == household.id, Customer.anonymised_at.is_(None))
        .order_by(Customer.last_name, Customer.id)
    ).all()
    return HouseholdView(
        household.id,
        household.property_ref,
        household.address,
        tuple(Member(c.id, c.full_name, c.housing_ref, m.role.label) for m, c in rows),
    )


def household_of(actor: Actor, customer_id: int, uow: UnitOfWork) -> HouseholdView | None:
    """The customer's household and its members (the customer page), or None."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        household = uow.session.scalar(
            select(Household).join(HouseholdMember).where(HouseholdMember.customer_id == customer_id)
        )
        return _view(uow.session, household) if household else None


def _find(session, property_ref: str | None, customer_id: int | None) -> Household:
    if property_ref:
        household = session.scalar(select(Household).where(Household.property_ref == _norm_ref(property_ref)))
    elif customer_id is not None:
        household = session.scalar(
            select(Household).join(HouseholdMember).where(HouseholdMember.customer_id == customer_id)
        )
    else:
        raise PolicyError("Give the property reference, or the customer the visit is booked under.")
    if household is None:
        raise NotFound("No household is recorded at that address.")
    return household


def visit_plan(
    actor: Actor,
    uow: UnitOfWork,
    *,
    property_ref: str | None = None,
    customer_id: int | None = None,
    today: dt.date | None = None,
) -> VisitPlan:
    """ "Who do I need to know about before visiting this address?": the visit arrangements,
    red flags and restrictions of every member of the household, without reasons. A visit
    booked under one joint tenant shows a marker on the other. A viewer's look-up of each
    member with anything in force is recorded in the disclosure log."""
    require(actor, Permission.VIEW_ARRANGEMENTS)
    today = today or dt.date.today()
    with uow:
        household = _find(uow.session, property_ref, customer_id)
        view = _view(uow.session, household)
        notes = []
        for member in view.members:
            a = arrangements_in_force(uow.session, member.customer_id, today)
            if not a.in_force:
                continue
            notes.append(
                VisitNote(
                    a.name,
                    a.two_officers_on_visits,
                    a.red_flag,
                    a.visit_arrangements,
                    tuple(
                        f"{r.arrangement}: {r.terms}" if r.terms else r.arrangement for r in a.restrictions
                    ),
                    tuple(s.contact for s in a.single_point_of_contact),
                    tuple(f"{c.name} ({c.about})" for c in a.whom_to_contact),
                )
            )
            if not actor.can(Permission.VIEW_CASES):
                uow.session.add(DisclosureLog(viewer_id=actor.user_id, customer_id=member.customer_id))
        uow.commit()
        return VisitPlan(
            view.property_ref, view.address, any(n.two_officers_on_visits for n in notes), tuple(notes)
        )


def remove_empty_households(session, household_ids: set[int]) -> int:
    """Delete those of these households nobody belongs to any more (after retention deletion)."""
    if not household_ids:
        return 0
    result = session.execute(
        delete(Household).where(
            Household.id.in_(sorted(household_ids)),
            ~exists().where(HouseholdMember.household_id == Household.id),
        )
    )
    return result.rowcount or 0
