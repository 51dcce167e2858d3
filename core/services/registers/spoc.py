"""SPOC: request (team leader) -> review meeting and decision (DMO) -> central register (clause 5)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import RegisterStatus, ReviewOutcome, Stage
from core.errors import NotFound, PolicyError
from core.models import (
    Case, Customer, Incident, SpocEntry,
    SpocRequest, User, utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.policy.deadlines import check_review_date
from core.validation import clean_line, clean_text, parse_enum
from core.services.registers._common import (
    SPOC_OFFICER_ROLES, _today, _excerpt, _channels, _record_review,
)


def spoc_request_cases(actor: Actor, uow: UnitOfWork) -> list[dict]:
    """Open cases at the formal stage, where a SPOC may be considered (clause 5)."""
    require(actor, Permission.REQUEST_SPOC)
    with uow:
        rows = uow.session.execute(
            select(Case, Customer).join(Customer, Customer.id == Case.customer_id)
            .where(Case.stage == Stage.FORMAL, Customer.anonymised_at.is_(None))
            .order_by(Customer.last_name, Case.id)).all()
        return [{"case_id": case.id, "customer_id": c.id, "customer": c.full_name,
                 "housing_ref": c.housing_ref} for case, c in rows]


def spoc_evidence_choices(actor: Actor, case_id: int, uow: UnitOfWork) -> list[dict]:
    """The counting (non-hearsay) incidents of the case's customer, to link as evidence."""
    require(actor, Permission.REQUEST_SPOC)
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        incidents = uow.session.scalars(
            select(Incident).where(Incident.customer_id == case.customer_id)
            .order_by(Incident.occurred_at.desc())).all()
        return [{"id": i.id, "occurred_on": i.occurred_at.date(), "category": i.category.label,
                 "summary": _excerpt(i.description, 100)} for i in incidents if i.counts_as_evidence]


def request_spoc(actor: Actor, case_id: int, reason: str, evidence_incident_ids: list[int],
                 uow: UnitOfWork, now: Optional[dt.datetime] = None) -> int:
    """A team leader/manager asks the DMO to consider a SPOC, with a reason and evidence."""
    require(actor, Permission.REQUEST_SPOC)
    reason = clean_text(reason, "Reason for the SPOC request")
    wanted = list(dict.fromkeys(int(i) for i in (evidence_incident_ids or [])))
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        incidents = uow.session.scalars(select(Incident).where(Incident.id.in_(wanted))).all() if wanted else []
        found = {i.id: i for i in incidents}
        stray = [i for i in wanted if i not in found or found[i].customer_id != case.customer_id]
        hearsay = [i.id for i in incidents if i.customer_id == case.customer_id and not i.counts_as_evidence]
        pending = uow.session.scalar(select(SpocRequest.id).where(
            SpocRequest.customer_id == case.customer_id, SpocRequest.status == RegisterStatus.PENDING))
        active = uow.session.scalar(select(SpocEntry.id).where(
            SpocEntry.customer_id == case.customer_id, SpocEntry.status == RegisterStatus.ACTIVE))
        problems = rules.spoc_request_problems(
            stage_is_formal=case.stage == Stage.FORMAL, case_closed=case.stage == Stage.CLOSED,
            reason=reason, evidence_count=len(wanted), stray_incidents=stray,
            hearsay_incidents=hearsay, already_pending=pending is not None,
            already_active=active is not None)
        if problems:
            raise PolicyError(" ".join(problems))
        request = SpocRequest(case_id=case.id, customer_id=case.customer_id,
                              requested_by_id=actor.user_id, reason=reason,
                              requested_at=now or utcnow(), status=RegisterStatus.PENDING)
        request.evidence = [found[i] for i in wanted]
        uow.session.add(request)
        uow.audit(actor, "request_spoc", request,
                  after=snapshot(request) | {"evidence_incident_ids": wanted}, reason=reason)
        uow.commit()
        return request.id


def spoc_officer_choices(actor: Actor, uow: UnitOfWork) -> list[dict]:
    """Active staff who may be named as a single point of contact."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    with uow:
        users = uow.session.scalars(select(User).where(
            User.active.is_(True), User.role.in_(SPOC_OFFICER_ROLES)).order_by(User.name)).all()
        return [{"id": u.id, "name": u.name, "role": u.role.label,
                 "service_area": u.service_area.name if u.service_area else ""} for u in users]


def record_spoc_meeting_and_decide(
        actor: Actor, request_id: int, meeting_on: Optional[dt.date], attendees: str, discussion: str,
        approve: bool, decision_reason: str, uow: UnitOfWork, *, spoc_user_id: Optional[int] = None,
        channels: Optional[list] = None, contact_times: str = "", contact_limit: str = "",
        terms: str = "", starts_on: Optional[dt.date] = None, review_due: Optional[dt.date] = None,
        today: Optional[dt.date] = None) -> dict:
    """The DMO records the SPOC review meeting and the decision. Approval puts the SPOC on the
    central register with its officer, terms and a review date 3 to 12 months after the start."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    today = _today(today)
    attendees = clean_text(attendees, "Attendees", max_len=2000)
    discussion = clean_text(discussion, "Discussion")
    decision_reason = clean_text(decision_reason, "Reason for the decision")
    if approve:
        channel_codes = _channels(channels or [])
        contact_times = clean_line(contact_times, "Contact times")
        contact_limit = clean_line(contact_limit, "Contact limit")
        terms = clean_text(terms, "Terms", max_len=4000)
    with uow:
        request = uow.session.get(SpocRequest, request_id)
        if request is None:
            raise NotFound("No such SPOC request.")
        if request.status != RegisterStatus.PENDING:
            raise PolicyError(f"This SPOC request has already been decided ({request.status.label}).")
        officer = uow.session.get(User, spoc_user_id) if (approve and spoc_user_id) else None
        officer_ok = officer is not None and officer.active and officer.role in SPOC_OFFICER_ROLES
        problems = rules.spoc_decision_problems(
            approve=approve, meeting_on=meeting_on, requested_on=request.requested_at.date(), today=today,
            attendees=attendees, discussion=discussion, decision_reason=decision_reason,
            spoc_officer_ok=officer_ok, channels=channel_codes if approve else [], starts_on=starts_on)
        if problems:
            raise PolicyError(" ".join(problems))
        if approve:
            check_review_date(starts_on, review_due)
            if uow.session.scalar(select(SpocEntry.id).where(
                    SpocEntry.customer_id == request.customer_id, SpocEntry.status == RegisterStatus.ACTIVE)):
                raise PolicyError("This customer already has an active SPOC on the register: "
                                  "end or review it first.")
        before = snapshot(request)
        request.meeting_on, request.attendees, request.discussion = meeting_on, attendees, discussion
        request.decision_reason = decision_reason
        request.decided_by_id, request.decided_at = actor.user_id, utcnow()
        request.status = RegisterStatus.ACTIVE if approve else RegisterStatus.REJECTED
        old, new = changed_fields(before, snapshot(request))
        uow.audit(actor, "approve_spoc" if approve else "reject_spoc", request,
                  before=old, after=new, reason=decision_reason)
        entry_id = None
        if approve:
            entry = SpocEntry(request_id=request.id, customer_id=request.customer_id, case_id=request.case_id,
                              spoc_user_id=officer.id, channels=channel_codes, contact_times=contact_times,
                              contact_limit=contact_limit, terms=terms, starts_on=starts_on,
                              review_due=review_due, status=RegisterStatus.ACTIVE)
            uow.session.add(entry)
            uow.audit(actor, "add_spoc_entry", entry, after=snapshot(entry), reason=decision_reason)
            entry_id = entry.id
        uow.commit()
        return {"request_id": request.id, "entry_id": entry_id, "status": request.status.value}


def _get_spoc_entry(uow: UnitOfWork, entry_id: int) -> SpocEntry:
    entry = uow.session.get(SpocEntry, entry_id)
    if entry is None:
        raise NotFound("No such SPOC register entry.")
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError("This SPOC has already ended.")
    return entry


def review_spoc(actor: Actor, entry_id: int, held_on: dt.date, outcome: str, evidence_considered: str,
                uow: UnitOfWork, *, notes: str = "", next_review_due: Optional[dt.date] = None,
                channels: Optional[list] = None, contact_times: Optional[str] = None,
                contact_limit: Optional[str] = None, terms: Optional[str] = None,
                today: Optional[dt.date] = None) -> int:
    """Review a SPOC: lift it (normal working restored), or continue/vary it with a new
    review date 3 to 12 months after the review. Returns the review id."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    today = _today(today)
    outcome = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered", required=True)
    notes = clean_text(notes, "Notes")
    if held_on is None or held_on > today:
        raise PolicyError("The review date held must be today or earlier.")
    ending = outcome in (ReviewOutcome.LIFT, ReviewOutcome.NO_FURTHER_ACTION)
    if not ending:
        check_review_date(held_on, next_review_due)
    with uow:
        entry = _get_spoc_entry(uow, entry_id)
        before = snapshot(entry)
        if ending:
            entry.status, entry.ended_on = RegisterStatus.ENDED, held_on
            entry.ended_reason = f"{outcome.label}. {notes}".strip()
        else:
            entry.review_due = next_review_due
            if outcome == ReviewOutcome.VARY:
                if channels is not None:
                    entry.channels = _channels(channels)
                    if not entry.channels:
                        raise PolicyError("A varied SPOC still needs at least one channel.")
                if contact_times is not None:
                    entry.contact_times = clean_line(contact_times, "Contact times")
                if contact_limit is not None:
                    entry.contact_limit = clean_line(contact_limit, "Contact limit")
                if terms is not None:
                    entry.terms = clean_text(terms, "Terms", max_len=4000)
        review = _record_review(uow, actor, entry, "spoc_entry", entry.case_id, before, held_on,
                                evidence_considered, outcome, None if ending else next_review_due, notes,
                                ("review_spoc", "end_spoc" if ending else "update_spoc_entry"))
        uow.commit()
        return review.id


def end_spoc(actor: Actor, entry_id: int, ended_on: dt.date, reason: str, uow: UnitOfWork,
             today: Optional[dt.date] = None) -> None:
    """End a SPOC outside a review (e.g. overturned on appeal), with the reason."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    reason = clean_text(reason, "Reason for ending the SPOC", required=True)
    if ended_on is None or ended_on > _today(today):
        raise PolicyError("The end date must be today or earlier.")
    with uow:
        entry = _get_spoc_entry(uow, entry_id)
        if ended_on < entry.starts_on:
            raise PolicyError("A SPOC cannot end before it started.")
        before = snapshot(entry)
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, ended_on, reason
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(actor, "end_spoc", entry, before=old, after=new, reason=reason)
        uow.commit()
