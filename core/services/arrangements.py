"""The need-to-know view (clause 4.2): the arrangements in force for a customer and whom to
contact, never the reasons, incidents, categories or letters. Viewer look-ups are logged.

The view is built from an explicit list of fields (never a whole row), so no argument a
caller passes can make it return more: there is deliberately no "include details" switch.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import ActionStatus, FormalActionType, RegisterStatus, Stage, channel_labels
from core.errors import NotFound
from core.models import (
    Case, Customer, DisclosureLog, FormalAction, PvpEntry, ServiceArea, SpocEntry, ThirdPartyContact, User,
)
from core.permissions import Actor, Permission, require

# Police referral and legal action are steps taken about the customer, not ways of working
# with them: naming them would tell a contractor what happened, so the view leaves them out.
CONTACT_ARRANGEMENT_KINDS = frozenset(FormalActionType) - {FormalActionType.POLICE_REFERRAL,
                                                           FormalActionType.LEGAL_ACTION}


def _arrangements(uow: UnitOfWork, customer_id: int, today: dt.date) -> dict:
    s = uow.session
    customer = s.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        raise NotFound("No such customer.")
    spocs = s.execute(
        select(SpocEntry, User.name, User.email).join(User, User.id == SpocEntry.spoc_user_id)
        .where(SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE)
        .order_by(SpocEntry.starts_on)).all()
    pvp = s.scalars(select(PvpEntry).where(PvpEntry.customer_id == customer_id,
                                           PvpEntry.status == RegisterStatus.ACTIVE)).all()
    actions = s.scalars(select(FormalAction).where(
        FormalAction.case.has(customer_id=customer_id), FormalAction.status == ActionStatus.ACTIVE,
        FormalAction.kind.in_(CONTACT_ARRANGEMENT_KINDS)).order_by(FormalAction.starts_on)).all()
    third_parties = s.scalars(select(ThirdPartyContact).where(
        ThirdPartyContact.customer_id == customer_id, ThirdPartyContact.active.is_(True))).all()
    view = {
        "customer_id": customer.id, "name": customer.full_name, "housing_ref": customer.housing_ref,
        "address": customer.address,
        "single_point_of_contact": [{"contact": name, "email": email,
                                     "channels": channel_labels(entry.channels),
                                     "contact_times": entry.contact_times,
                                     "contact_limit": entry.contact_limit, "terms": entry.terms,
                                     "from": entry.starts_on}
                                    for entry, name, email in spocs],
        "restrictions": [{"arrangement": a.kind.label, "terms": a.terms, "from": a.starts_on}
                         for a in actions],
        "two_officers_on_visits": any(p.two_officers_on_visits for p in pvp),
        "red_flag": bool(pvp),
        "visit_arrangements": [p.arrangements for p in pvp if p.arrangements],
        "third_party_contact": [{"name": t.name, "relationship": t.relationship_to_customer,
                                 "phone": t.phone, "email": t.email} for t in third_parties],
    }
    view["whom_to_contact"] = _whom_to_contact(uow, customer_id, view, pvp) if has_arrangements(view) else []
    return view


def _whom_to_contact(uow: UnitOfWork, customer_id: int, view: dict, pvp: list[PvpEntry]) -> list[dict]:
    """The named SPOC; otherwise the officer running the customer's open case; and the H&S
    Well-being Officer for visit arrangements when a red flag is present."""
    s = uow.session
    people = [{"name": spoc["contact"], "email": spoc["email"], "about": "Single point of contact: all contact"}
              for spoc in view["single_point_of_contact"]]
    if not people:
        row = s.execute(
            select(User.name, User.email, ServiceArea.name)
            .join(Case, Case.opened_by_id == User.id).join(ServiceArea, ServiceArea.id == Case.service_area_id)
            .where(Case.customer_id == customer_id, Case.stage != Stage.CLOSED)
            .order_by(Case.id.desc()).limit(1)).first()
        if row is not None:
            people.append({"name": row[0], "email": row[1], "about": f"These arrangements ({row[2]})"})
    approvers = {p.approved_by_id for p in pvp if p.approved_by_id}
    for name, email in s.execute(select(User.name, User.email).where(User.id.in_(approvers))).all() if approvers else []:
        people.append({"name": name, "email": email, "about": "Visit arrangements (H&S Well-being Officer)"})
    return people


def arrangements_for(actor: Actor, customer_id: int, uow: UnitOfWork,
                     today: Optional[dt.date] = None) -> dict:
    """Arrangements in force. A viewer's look-up is recorded in the disclosure log."""
    require(actor, Permission.VIEW_ARRANGEMENTS)
    with uow:
        result = _arrangements(uow, customer_id, today or dt.date.today())
        if not actor.can(Permission.VIEW_CASES):
            uow.session.add(DisclosureLog(viewer_id=actor.user_id, customer_id=customer_id))
            uow.commit()
        return result


def has_arrangements(view: dict) -> bool:
    return bool(view["single_point_of_contact"] or view["restrictions"] or view["red_flag"]
                or view["third_party_contact"])


def disclosure_log(actor: Actor, uow: UnitOfWork, customer_id: Optional[int] = None,
                   limit: int = 500) -> list[dict]:
    """The DMO's record that arrangements were shared on a need-to-know basis: who saw which
    customer's arrangements, and when (newest first)."""
    require(actor, Permission.VIEW_DISCLOSURES)
    with uow:
        stmt = (select(DisclosureLog, User.username, User.name, Customer)
                .join(User, User.id == DisclosureLog.viewer_id)
                .join(Customer, Customer.id == DisclosureLog.customer_id))
        if customer_id is not None:
            stmt = stmt.where(DisclosureLog.customer_id == customer_id)
        rows = uow.session.execute(stmt.order_by(DisclosureLog.at.desc(), DisclosureLog.id.desc())
                                   .limit(limit)).all()
        return [{"at": log.at, "viewer": username, "viewer_name": name, "customer_id": c.id,
                 "customer": c.full_name, "housing_ref": c.housing_ref} for log, username, name, c in rows]
