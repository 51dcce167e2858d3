"""The need-to-know view (clause 4.2): the arrangements in force for a customer and whom to
contact, never the reasons, incidents, categories or letters. Viewer look-ups are logged.

The view is built from an explicit list of fields (never a whole row), so no argument a
caller passes can make it return more: there is deliberately no "include details" switch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, aliased

from core.db import UnitOfWork
from core.enums import ActionStatus, FormalActionType, RegisterStatus, Stage, channel_labels
from core.errors import NotFound
from core.models import (
    Case,
    Customer,
    DisclosureLog,
    FormalAction,
    Incident,
    PvpConsideration,
    PvpEntry,
    ServiceArea,
    SpocEntry,
    ThirdPartyContact,
    User,
)
from core.permissions import Actor, Permission, require
from core.policy.disclosure import ViewerSearch, normalise_name, viewer_search
from core.policy.remedies import STEPS_ABOUT_CUSTOMER
from core.services.customers import search_customers
from core.validation import clean_line

# Police referral and legal action are steps taken about the customer, not ways of working
# with them: naming them would tell a contractor what happened, so the view leaves them out.
# A SPOC is shown only from the SPOC register (clause 5, issue 13), never from a formal action.
CONTACT_ARRANGEMENT_KINDS = frozenset(FormalActionType) - STEPS_ABOUT_CUSTOMER - {FormalActionType.SPOC}
NO_SPOC_OFFICER = "The Data Management Officer (SPOC officer being replaced)"
VIEWER_POSTCODE_LIMIT = 500  # customers sharing one postcode: a street, never the whole register


@dataclass(frozen=True)
class SpocArrangement:
    contact: str  # the named single point of contact
    email: str | None
    channels: tuple[str, ...]  # plain-English labels (core.enums.channel_labels)
    contact_times: str | None
    contact_limit: str | None
    terms: str | None
    starts_on: dt.date | None


@dataclass(frozen=True)
class Restriction:
    arrangement: str  # the kind's label
    terms: str | None
    starts_on: dt.date | None
    review_due: dt.date | None


@dataclass(frozen=True)
class ThirdParty:
    contact_id: int
    name: str
    relationship: str | None
    phone: str | None
    email: str | None
    started_on: dt.date | None


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None
    about: str


@dataclass(frozen=True)
class Arrangements:
    """The arrangements in force for one customer and whom to contact: never a reason."""

    customer_id: int
    name: str
    housing_ref: str
    address: str
    single_point_of_contact: tuple[SpocArrangement, ...]
    restrictions: tuple[Restriction, ...]
    two_officers_on_visits: bool
    red_flag: bool
    visit_arrangements: tuple[str, ...]
    third_party_contact: tuple[ThirdParty, ...]
    whom_to_contact: tuple[Contact, ...] = ()
    # clause 4.1: immediate adjustments to in-person contact, in force from a violent incident
    # until the H&S Well-being Officer decides its PVP consideration (the wording only)
    interim_in_person: tuple[str, ...] = ()

    @property
    def in_force(self) -> bool:
        """True when anything is in force (the one test of "has arrangements")."""
        return bool(
            self.single_point_of_contact
            or self.restrictions
            or self.red_flag
            or self.third_party_contact
            or self.interim_in_person
        )


def _spoc_arrangements(session: Session, customer_id: int) -> tuple[SpocArrangement, ...]:
    """The active SPOC entries with the officer to contact (the deputy when the officer's account
    is disabled; issue 15: never name a disabled account)."""
    officer, deputy = aliased(User), aliased(User)  # issue 15: never name a disabled account
    named = case(
        (officer.active.is_(True), officer.name),
        (deputy.active.is_(True), deputy.name),
        else_=literal(NO_SPOC_OFFICER),
    )
    email = case(
        (officer.active.is_(True), officer.email), (deputy.active.is_(True), deputy.email), else_=None
    )
    spocs = session.execute(
        select(SpocEntry, named, email)
        .join(officer, officer.id == SpocEntry.spoc_user_id)
        .outerjoin(deputy, deputy.id == SpocEntry.deputy_user_id)
        .where(SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE)
        .order_by(SpocEntry.starts_on, SpocEntry.id)
    ).all()
    return tuple(
        SpocArrangement(
            name,
            email,
            tuple(channel_labels(entry.channels)),
            entry.contact_times,
            entry.contact_limit,
            entry.terms,
            entry.starts_on,
        )
        for entry, name, email in spocs
    )


def arrangements_in_force(session: Session, customer_id: int, today: dt.date) -> Arrangements:
    """Clause 4.2's need-to-know view, the one place it is read: the active SPOC entries, PVP
    entries, contact restrictions (not police referral or legal action) and third-party contacts
    of a customer, and whom to contact. Used by the contact-arrangements view, the flag alert and
    the staff and third-party letters. No permission check: callers check theirs."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        raise NotFound("No such customer.")
    pvp = session.scalars(
        select(PvpEntry)
        .where(PvpEntry.customer_id == customer_id, PvpEntry.status == RegisterStatus.ACTIVE)
        .order_by(PvpEntry.id)
    ).all()
    actions = session.scalars(
        select(FormalAction)
        .where(
            FormalAction.case.has(customer_id=customer_id),
            FormalAction.status == ActionStatus.ACTIVE,
            FormalAction.kind.in_(CONTACT_ARRANGEMENT_KINDS),
        )
        .order_by(FormalAction.starts_on, FormalAction.id)
    ).all()
    third_parties = session.scalars(
        select(ThirdPartyContact)
        .where(ThirdPartyContact.customer_id == customer_id, ThirdPartyContact.active.is_(True))
        .order_by(ThirdPartyContact.id)
    ).all()
    view = Arrangements(
        customer_id=customer.id,
        name=customer.full_name,
        housing_ref=customer.housing_ref,
        address=customer.address,
        single_point_of_contact=_spoc_arrangements(session, customer_id),
        restrictions=tuple(Restriction(a.kind.label, a.terms, a.starts_on, a.review_due) for a in actions),
        two_officers_on_visits=any(p.two_officers_on_visits for p in pvp),
        red_flag=bool(pvp),
        visit_arrangements=tuple(p.arrangements for p in pvp if p.arrangements),
        third_party_contact=tuple(
            ThirdParty(t.id, t.name, t.relationship_to_customer, t.phone, t.email, t.started_on)
            for t in third_parties
        ),
        interim_in_person=interim_in_person(session, customer_id),
    )
    if not view.in_force:
        return view
    return replace(view, whom_to_contact=_whom_to_contact(session, customer_id, view, pvp))


def interim_in_person(session: Session, customer_id: int) -> tuple[str, ...]:
    """The interim in-person arrangements in force (clause 4.1): the wording chosen on each
    violent incident whose PVP consideration the H&S Well-being Officer has not yet decided
    (open, or proposed as a register entry awaiting approval), oldest first, each wording once."""
    rows = session.scalars(
        select(Incident.in_person_arrangement)
        .join(PvpConsideration, PvpConsideration.incident_id == Incident.id)
        .where(
            Incident.customer_id == customer_id,
            Incident.in_person_arrangement != "",
            PvpConsideration.status != "closed",
        )
        .order_by(Incident.occurred_at, Incident.id)
    ).all()
    return tuple(dict.fromkeys(rows))


def _whom_to_contact(
    session: Session, customer_id: int, view: Arrangements, pvp: Sequence[PvpEntry]
) -> tuple[Contact, ...]:
    """The named SPOC; otherwise the (active) owner of each of the customer's open cases; and the H&S
    Well-being Officer for visit arrangements when a red flag is present."""
    people = [
        Contact(spoc.contact, spoc.email, "Single point of contact: all contact")
        for spoc in view.single_point_of_contact
    ]
    if not people:  # the officer of each open case: a customer may have one per service area
        rows = session.execute(
            select(User.name, User.email, ServiceArea.name)
            .join(Case, Case.owner_id == User.id)
            .join(ServiceArea, ServiceArea.id == Case.service_area_id)
            .where(Case.customer_id == customer_id, Case.stage != Stage.CLOSED, User.active.is_(True))
            .order_by(Case.id.desc())
        ).all()
        people += [Contact(name, email, f"These arrangements ({area})") for name, email, area in rows]
    approvers = {p.approved_by_id for p in pvp if p.approved_by_id}
    if approvers:
        for name, email in session.execute(
            select(User.name, User.email).where(User.id.in_(approvers)).order_by(User.id)
        ).all():
            people.append(Contact(name, email, "Visit arrangements (H&S Well-being Officer)"))
    return tuple(people)


def arrangements_for(
    actor: Actor, customer_id: int, uow: UnitOfWork, today: dt.date | None = None
) -> Arrangements:
    """Arrangements in force. A viewer's look-up is recorded in the disclosure log, whether or
    not any arrangement is found."""
    require(actor, Permission.VIEW_ARRANGEMENTS)
    with uow:
        result = arrangements_in_force(uow.session, customer_id, today or dt.date.today())
        if not actor.can(Permission.VIEW_CASES):
            uow.session.add(DisclosureLog(viewer_id=actor.user_id, customer_id=customer_id))
            uow.commit()
        return result


def has_arrangements(view: Arrangements) -> bool:
    return view.in_force


@dataclass(frozen=True)
class DisclosureRow:
    at: dt.datetime
    viewer: str  # username
    viewer_name: str
    customer_id: int
    customer: str
    housing_ref: str


def disclosure_log(
    actor: Actor, uow: UnitOfWork, customer_id: int | None = None, limit: int = 500
) -> list[DisclosureRow]:
    """The DMO's record that arrangements were shared on a need-to-know basis: who saw which
    customer's arrangements (or found them by a search), and when (newest first)."""
    require(actor, Permission.VIEW_DISCLOSURES)
    with uow:
        stmt = (
            select(DisclosureLog, User.username, User.name, Customer)
            .join(User, User.id == DisclosureLog.viewer_id)
            .join(Customer, Customer.id == DisclosureLog.customer_id)
        )
        if customer_id is not None:
            stmt = stmt.where(DisclosureLog.customer_id == customer_id)
        rows = uow.session.execute(
            stmt.order_by(DisclosureLog.at.desc(), DisclosureLog.id.desc()).limit(limit)
        ).all()
        return [
            DisclosureRow(log.at, username, name, c.id, c.full_name, c.housing_ref)
            for log, username, name, c in rows
        ]


@dataclass(frozen=True)
class CustomerMatch:
    customer_id: int
    name: str
    housing_ref: str
    address: str


def _match(customer: Customer) -> CustomerMatch:
    return CustomerMatch(customer.id, customer.full_name, customer.housing_ref, customer.address)


def _viewer_matches(session: Session, wanted: ViewerSearch) -> list[Customer]:
    live = Customer.anonymised_at.is_(None)
    if wanted.housing_ref:
        found = session.scalar(select(Customer).where(Customer.housing_ref == wanted.housing_ref, live))
        return [found] if found is not None else []
    # Postcodes are ASCII, so the database narrows by postcode; names (Łukasz, Siân) are
    # compared casefolded in Python, where every alphabet folds the same way on both databases.
    same_postcode = session.scalars(
        select(Customer)
        .where(func.upper(func.replace(Customer.postcode, " ", "")) == wanted.postcode, live)
        .order_by(Customer.id)
        .limit(VIEWER_POSTCODE_LIMIT)
    ).all()
    return [
        c
        for c in same_postcode
        if wanted.full_name in (normalise_name(f"{c.first_name} {c.last_name}"), normalise_name(c.full_name))
    ]


def find_customers(actor: Actor, query: str, uow: UnitOfWork) -> list[CustomerMatch]:
    """The customer look-up of the contact-arrangements view. Staff with case access search
    freely (core.services.customers.search_customers); a viewer (contractor, front-line staff
    without case access) must name the customer precisely (core.policy.disclosure), and every
    customer a viewer's search shows is recorded in the disclosure log."""
    require(actor, Permission.VIEW_ARRANGEMENTS)
    if actor.can(Permission.VIEW_CASES):
        return [
            CustomerMatch(r["id"], r["name"], r["housing_ref"], r["address"])
            for r in search_customers(actor, query, uow)
        ]
    wanted = viewer_search(clean_line(query, "Search", max_len=100))
    with uow:
        found = _viewer_matches(uow.session, wanted)
        uow.session.add_all([DisclosureLog(viewer_id=actor.user_id, customer_id=c.id) for c in found])
        uow.commit()
        return [_match(c) for c in found]
