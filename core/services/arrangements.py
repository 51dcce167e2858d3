"""The need-to-know view (clause 4.2): the arrangements in force for a customer and whom to
contact, never the reasons, incidents, categories or letters. Viewer look-ups are logged."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import ActionStatus, RegisterStatus
from core.errors import NotFound
from core.models import Customer, DisclosureLog, FormalAction, PvpEntry, SpocEntry, ThirdPartyContact, User
from core.permissions import Actor, Permission, require


def _arrangements(uow: UnitOfWork, customer_id: int, today: dt.date) -> dict:
    s = uow.session
    customer = s.get(Customer, customer_id)
    if customer is None or customer.anonymised_at is not None:
        raise NotFound("No such customer.")
    spocs = s.execute(
        select(SpocEntry, User.name, User.email).join(User, User.id == SpocEntry.spoc_user_id)
        .where(SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE)).all()
    pvp = s.scalars(select(PvpEntry).where(PvpEntry.customer_id == customer_id,
                                           PvpEntry.status == RegisterStatus.ACTIVE)).all()
    actions = s.scalars(select(FormalAction).where(
        FormalAction.case.has(customer_id=customer_id), FormalAction.status == ActionStatus.ACTIVE)).all()
    third_parties = s.scalars(select(ThirdPartyContact).where(
        ThirdPartyContact.customer_id == customer_id, ThirdPartyContact.active.is_(True))).all()
    return {
        "customer_id": customer.id, "name": customer.full_name, "housing_ref": customer.housing_ref,
        "address": customer.address,
        "single_point_of_contact": [{"contact": name, "email": email, "channels": entry.channels,
                                     "contact_times": entry.contact_times, "contact_limit": entry.contact_limit}
                                    for entry, name, email in spocs],
        "restrictions": [{"arrangement": a.kind.label, "terms": a.terms} for a in actions],
        "two_officers_on_visits": any(p.two_officers_on_visits for p in pvp),
        "red_flag": bool(pvp),
        "visit_arrangements": [p.arrangements for p in pvp if p.arrangements],
        "third_party_contact": [{"name": t.name, "relationship": t.relationship_to_customer}
                                for t in third_parties],
    }


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
