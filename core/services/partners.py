"""Issue 16 item 5: referrals to and contacts with other agencies (police beyond the first
reference, adult/children's safeguarding, mental-health teams, MARAC, NPH Legal, West
Northamptonshire Council under clause 2.4) with dates, references and outcomes; legal remedies'
court dates for the owner's home page; counts by agency for monitoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Stage
from core.enums_evidence import Agency, PartnerAction
from core.errors import NotFound, PolicyError
from core.models import Case, Customer, PartnerReferral, User
from core.permissions import Actor, Permission, require
from core.validation import clean_line, clean_text, parse_enum


@dataclass
class NewPartnerAction:
    customer_id: int
    agency: str
    action: str
    made_on: dt.date
    reference: str = ""
    details: str = ""
    court_date: dt.date | None = None


@dataclass(frozen=True)
class PartnerRow:
    id: int
    agency: Agency
    action: PartnerAction
    made_on: dt.date
    reference: str
    details: str
    outcome: str
    outcome_on: dt.date | None
    court_date: dt.date | None
    recorded_by: str


@dataclass(frozen=True)
class CourtDate:
    partner_id: int
    case_id: int
    customer: str
    court_date: dt.date
    agency: str
    reference: str


def record_partner_action(
    actor: Actor, new: NewPartnerAction, uow: UnitOfWork, today: dt.date | None = None
) -> int:
    """Record a referral, contact or legal remedy with another agency; returns its id."""
    require(actor, Permission.RUN_CASES)
    today = today or dt.date.today()
    agency = parse_enum(Agency, new.agency, "Agency")
    action = parse_enum(PartnerAction, new.action, "Referral, contact or legal remedy")
    if new.made_on is None or new.made_on > today:
        raise PolicyError("Enter the date of the referral or contact (not in the future).")
    if action == PartnerAction.LEGAL_REMEDY and new.court_date is None:
        raise PolicyError("A legal remedy needs its court date (enter the listed date when it is known).")
    with uow:
        customer = uow.session.get(Customer, new.customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        case_id = uow.session.scalar(
            select(Case.id)
            .where(Case.customer_id == customer.id, Case.stage != Stage.CLOSED)
            .order_by(Case.id.desc())
            .limit(1)
        )
        row = PartnerReferral(
            customer_id=customer.id,
            case_id=case_id,
            agency=agency,
            action=action,
            made_on=new.made_on,
            reference=clean_line(new.reference, "Reference", max_len=60),
            details=clean_text(new.details, "Details", max_len=4000),
            court_date=new.court_date,
            recorded_by_id=actor.user_id,
        )
        uow.session.add(row)
        uow.audit(actor, "record_partner_action", row, after=snapshot(row))
        uow.commit()
        return row.id


def record_outcome(
    actor: Actor,
    partner_id: int,
    outcome: str,
    outcome_on: dt.date,
    uow: UnitOfWork,
    court_date: dt.date | None = None,
) -> None:
    """The agency's outcome (and a new court date, if relisted); the earlier values are audited."""
    require(actor, Permission.RUN_CASES)
    text = clean_text(outcome, "Outcome", required=True, max_len=4000)
    with uow:
        row = uow.session.get(PartnerReferral, partner_id)
        if row is None:
            raise NotFound("No such referral.")
        if outcome_on < row.made_on:
            raise PolicyError("The outcome cannot be before the referral.")
        before = snapshot(row)
        row.outcome, row.outcome_on = text, outcome_on
        if court_date is not None:
            row.court_date = court_date
        old, new = changed_fields(before, snapshot(row))
        uow.audit(actor, "record_partner_outcome", row, before=old, after=new)
        uow.commit()


def partner_actions(actor: Actor, customer_id: int, uow: UnitOfWork) -> list[PartnerRow]:
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = uow.session.execute(
            select(PartnerReferral, User.name)
            .join(User, User.id == PartnerReferral.recorded_by_id)
            .where(PartnerReferral.customer_id == customer_id)
            .order_by(PartnerReferral.made_on.desc(), PartnerReferral.id.desc())
        ).all()
        return [
            PartnerRow(
                p.id,
                p.agency,
                p.action,
                p.made_on,
                p.reference,
                p.details,
                p.outcome,
                p.outcome_on,
                p.court_date,
                name,
            )
            for p, name in rows
        ]


def court_dates_for_owner(
    actor: Actor, uow: UnitOfWork, today: dt.date | None = None, limit: int = 50
) -> list[CourtDate]:
    """Coming court dates on the open cases the actor owns (the owner's home page), soonest first."""
    require(actor, Permission.VIEW_CASES)
    today = today or dt.date.today()
    with uow:
        rows = uow.session.execute(
            select(PartnerReferral, Customer)
            .join(Case, Case.id == PartnerReferral.case_id)
            .join(Customer, Customer.id == PartnerReferral.customer_id)
            .where(
                Case.opened_by_id == actor.user_id,
                Case.stage != Stage.CLOSED,
                PartnerReferral.court_date >= today,
            )
            .order_by(PartnerReferral.court_date, PartnerReferral.id)
            .limit(limit)
        ).all()
        return [
            CourtDate(p.id, p.case_id or 0, c.full_name, p.court_date or today, p.agency.label, p.reference)
            for p, c in rows
        ]


def partner_counts(actor: Actor, uow: UnitOfWork, date_from: dt.date, date_to: dt.date) -> dict[Agency, int]:
    """Referrals, contacts and legal remedies per agency in a period (monitoring)."""
    require(actor, Permission.VIEW_MONITORING)
    with uow:
        rows = uow.session.execute(
            select(PartnerReferral.agency, func.count())
            .where(PartnerReferral.made_on >= date_from, PartnerReferral.made_on <= date_to)
            .group_by(PartnerReferral.agency)
        ).all()
        return {agency: n for agency, n in rows}
