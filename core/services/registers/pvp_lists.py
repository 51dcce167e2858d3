"""The PVP considerations queue, the PVP register and the red-flag list (read models)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.models import (
    Customer, Incident, PvpConsideration, PvpEntry,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    RED_FLAG_COLUMNS, STATUS_FILTERS, _today, _excerpt, _user_names, _matches,
)


def pvp_queue(actor: Actor, uow: UnitOfWork) -> list[dict]:
    """Open PVP considerations raised by violent or threatening incidents, oldest first."""
    if not actor.can(Permission.PROPOSE_PVP):
        require(actor, Permission.MANAGE_PVP_REGISTER)
    with uow:
        rows = uow.session.execute(
            select(PvpConsideration, Incident, Customer)
            .join(Incident, Incident.id == PvpConsideration.incident_id)
            .join(Customer, Customer.id == PvpConsideration.customer_id)
            .where(PvpConsideration.status == "open", Customer.anonymised_at.is_(None))
            .order_by(PvpConsideration.raised_at, PvpConsideration.id)).all()
        return [{"consideration_id": c.id, "customer_id": cust.id, "customer": cust.full_name,
                 "housing_ref": cust.housing_ref, "incident_id": i.id,
                 "incident_on": i.occurred_at.date(), "raised_on": c.raised_at.date(),
                 "police_reference": i.police_reference, "summary": _excerpt(i.description),
                 "hearsay": not i.counts_as_evidence} for c, i, cust in rows]


def pvp_register(actor: Actor, uow: UnitOfWork, status: str = "active",
                 today: Optional[dt.date] = None) -> list[dict]:
    """The PVP register: pending, active, due for review, overdue, ended, rejected, or all."""
    require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    if status not in STATUS_FILTERS:
        _matches(status, False, "", RegisterStatus.ACTIVE)
    with uow:
        entries = uow.session.scalars(select(PvpEntry).order_by(PvpEntry.review_due, PvpEntry.id)).all()
        names = _user_names(uow, {e.proposed_by_id for e in entries} | {e.approved_by_id for e in entries})
        out = []
        for e in entries:
            active = e.status == RegisterStatus.ACTIVE
            state = rules.review_state(e.review_due, today, active=active)
            if not _matches(status, active, state, e.status):
                continue
            if e.customer_notified_on:
                notice = f"Told in writing {e.customer_notified_on:%d %b %Y}"
            elif e.not_notified_reason:
                notice = f"Not told; reconsider by {e.reconsider_notice_on:%d %b %Y}" if e.reconsider_notice_on else "Not told"
            else:
                notice = ""
            out.append({
                "entry_id": e.id, "customer_id": e.customer_id, "customer": e.customer.full_name,
                "housing_ref": e.customer.housing_ref, "flag_type": e.flag_type, "status": e.status.label,
                "proposed_by": names.get(e.proposed_by_id, ""), "proposed_on": e.proposed_at.date(),
                "approved_by": names.get(e.approved_by_id, "") if e.status != RegisterStatus.PENDING else "",
                "reasons": e.reasons, "arrangements": e.arrangements,
                "two_officers_on_visits": e.two_officers_on_visits, "starts_on": e.starts_on,
                "review_due": e.review_due,
                "review_state": rules.REVIEW_STATE_LABELS[state] if e.status != RegisterStatus.PENDING else "",
                "customer_notice": notice, "not_notified_reason": e.not_notified_reason,
                "reconsider_notice_on": e.reconsider_notice_on,
                "ended_on": e.ended_on, "ended_reason": e.ended_reason,
            })
        return out


def red_flag_export(actor: Actor, uow: UnitOfWork) -> list[dict]:
    """The flag list the housing management system needs: one row per flagged tenant with the
    housing-system reference, flag type, start and review dates; no incident details."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    with uow:
        rows = uow.session.execute(
            select(Customer.housing_ref, PvpEntry.flag_type, PvpEntry.starts_on, PvpEntry.review_due)
            .join(Customer, Customer.id == PvpEntry.customer_id)
            .where(PvpEntry.status == RegisterStatus.ACTIVE)
            .order_by(Customer.housing_ref, PvpEntry.starts_on)).all()
        flagged: dict[str, dict] = {}
        for ref, flag_type, starts_on, review_due in rows:
            flagged.setdefault(ref, dict(zip(RED_FLAG_COLUMNS, (ref, flag_type, starts_on, review_due))))
        return list(flagged.values())
