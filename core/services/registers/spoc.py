"""SPOC: request (team leader) -> review meeting and decision (DMO) -> central register (clause 5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import RegisterStatus, ReviewOutcome, Stage
from core.errors import NotFound, PolicyError
from core.models import Case, Incident, SpocEntry, SpocRequest, User, utcnow
from core.permissions import Actor, Permission, require, require_area
from core.policy import registers as rules
from core.policy.deadlines import check_review_date
from core.services import notify
from core.services.registers._common import SPOC_OFFICER_ROLES, _channels, _record_review, _today
from core.services.registers.spoc_inputs import SpocMeeting, SpocReview
from core.validation import clean_line, clean_text, parse_enum


@dataclass(frozen=True)
class SpocDecision:
    """What the DMO's decision did: the request, the new register entry (None when rejected)."""

    request_id: int
    entry_id: int | None
    status: RegisterStatus


@dataclass(frozen=True)
class _SpocTerms:
    channels: list[str]
    contact_times: str
    contact_limit: str
    terms: str
    starts_on: dt.date | None
    review_due: dt.date | None


def request_spoc(
    actor: Actor,
    case_id: int,
    reason: str,
    evidence_incident_ids: list[int],
    uow: UnitOfWork,
    now: dt.datetime | None = None,
) -> int:
    """A team leader/manager asks the DMO to consider a SPOC, with a reason and evidence, on a
    case at the formal stage (or as the formal decision itself: cases.take_formal_actions)."""
    require(actor, Permission.REQUEST_SPOC)
    reason = clean_text(reason, "Reason for the SPOC request")
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        request = add_spoc_request(uow, actor, case, reason, evidence_incident_ids, now)
        uow.commit()
        return request.id


def _spoc_in_progress(uow: UnitOfWork, customer_id: int) -> tuple[int | None, int | None]:
    """The customer's pending SPOC request and active SPOC entry, if any (ids)."""
    pending = uow.session.scalar(
        select(SpocRequest.id).where(
            SpocRequest.customer_id == customer_id, SpocRequest.status == RegisterStatus.PENDING
        )
    )
    active = uow.session.scalar(
        select(SpocEntry.id).where(
            SpocEntry.customer_id == customer_id, SpocEntry.status == RegisterStatus.ACTIVE
        )
    )
    return pending, active


def add_spoc_request(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    reason: str,
    evidence_incident_ids: list[int],
    now: dt.datetime | None = None,
    *,
    formal_decision: bool = False,
) -> SpocRequest:
    """The SPOC request inside an open unit of work. It is only a request: nothing is in force,
    and no contractor sees anything, until the DMO approves it at a SPOC review meeting and it is
    on the central register (clause 5). `formal_decision`: the request is the formal-stage decision
    being recorded now, so the case need not be at the formal stage already."""
    require_area(actor, case.service_area_id, "request a SPOC on this case")  # clause 5: within its area
    wanted = list(dict.fromkeys(int(i) for i in (evidence_incident_ids or [])))
    incidents = uow.session.scalars(select(Incident).where(Incident.id.in_(wanted))).all() if wanted else []
    found = {i.id: i for i in incidents}
    stray = [i for i in wanted if i not in found or found[i].customer_id != case.customer_id]
    hearsay = [i.id for i in incidents if i.customer_id == case.customer_id and not i.counts_as_evidence]
    pending, active = _spoc_in_progress(uow, case.customer_id)
    problems = rules.spoc_request_problems(
        stage_is_formal=formal_decision or case.stage == Stage.FORMAL,
        case_closed=case.stage == Stage.CLOSED,
        reason=reason,
        evidence_count=len(wanted),
        stray_incidents=stray,
        hearsay_incidents=hearsay,
        already_pending=pending is not None,
        already_active=active is not None,
    )
    if problems:
        raise PolicyError(" ".join(problems))
    request = SpocRequest(
        case_id=case.id,
        customer_id=case.customer_id,
        requested_by_id=actor.user_id,
        reason=reason,
        requested_at=now or utcnow(),
        status=RegisterStatus.PENDING,
    )
    request.evidence = [found[i] for i in wanted]
    uow.session.add(request)
    uow.flush()
    uow.audit(
        actor,
        "request_spoc",
        request,
        after=snapshot(request) | {"evidence_incident_ids": wanted},
        reason=reason,
    )
    notify.spoc_request_received(uow, request)  # issue 15: tell the DMO (outbox, same transaction)
    return request


def _agreed_terms(
    approve: bool,
    channels: list | None,
    contact_times: str,
    contact_limit: str,
    terms: str,
    starts_on: dt.date | None,
    review_due: dt.date | None,
) -> _SpocTerms | None:
    """The SPOC terms agreed at the meeting, cleaned (None when the request is rejected)."""
    return (
        _SpocTerms(
            channels=_channels(channels or []),
            contact_times=clean_line(contact_times, "Contact times"),
            contact_limit=clean_line(contact_limit, "Contact limit"),
            terms=clean_text(terms, "Terms", max_len=4000),
            starts_on=starts_on,
            review_due=review_due,
        )
        if approve
        else None
    )


def _record_decision(
    uow: UnitOfWork,
    actor: Actor,
    request: SpocRequest,
    meeting_on: dt.date | None,
    attendees: str,
    discussion: str,
    approve: bool,
    decision_reason: str,
) -> None:
    """The meeting and the decision on the request, audited."""
    before = snapshot(request)
    request.meeting_on, request.attendees, request.discussion = meeting_on, attendees, discussion
    request.decision_reason = decision_reason
    request.decided_by_id, request.decided_at = actor.user_id, utcnow()
    request.status = RegisterStatus.ACTIVE if approve else RegisterStatus.REJECTED
    old, new = changed_fields(before, snapshot(request))
    uow.audit(
        actor,
        "approve_spoc" if approve else "reject_spoc",
        request,
        before=old,
        after=new,
        reason=decision_reason,
    )


def record_spoc_meeting_and_decide(
    actor: Actor, request_id: int, meeting: SpocMeeting, uow: UnitOfWork, *, today: dt.date | None = None
) -> SpocDecision:
    """The DMO records the SPOC review meeting and the decision. Approval puts the SPOC on the
    central register with its officer, terms and a review date 3 to 12 months after the start."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    m = meeting
    meeting_on, approve, spoc_user_id, starts_on = m.meeting_on, m.approve, m.spoc_user_id, m.starts_on
    attendees, discussion, decision_reason = m.attendees, m.discussion, m.decision_reason
    channels, contact_times, contact_limit, terms, review_due = (
        m.channels,
        m.contact_times,
        m.contact_limit,
        m.terms,
        m.review_due,
    )
    today = _today(today)
    attendees = clean_text(attendees, "Attendees", max_len=2000)
    discussion = clean_text(discussion, "Discussion")
    decision_reason = clean_text(decision_reason, "Reason for the decision")
    agreed = _agreed_terms(approve, channels, contact_times, contact_limit, terms, starts_on, review_due)
    with uow:
        request = _pending_request(uow, request_id)
        officer = uow.session.get(User, spoc_user_id) if (approve and spoc_user_id) else None
        problems = rules.spoc_decision_problems(
            approve=approve,
            meeting_on=meeting_on,
            requested_on=request.requested_at.date(),
            today=today,
            attendees=attendees,
            discussion=discussion,
            decision_reason=decision_reason,
            spoc_officer_ok=officer is not None and officer.active and officer.role in SPOC_OFFICER_ROLES,
            channels=agreed.channels if agreed else [],
            starts_on=starts_on,
        )
        if problems:
            raise PolicyError(" ".join(problems))
        if agreed:
            _check_can_add(uow, request, agreed)
        _record_decision(uow, actor, request, meeting_on, attendees, discussion, approve, decision_reason)
        entry_id = None
        if agreed:
            # spoc_decision_problems refuses an approval without an active SPOC officer
            assert officer is not None
            entry_id = _add_entry(uow, actor, request, officer, agreed, decision_reason)
        uow.commit()
        return SpocDecision(request_id=request.id, entry_id=entry_id, status=request.status)


def _pending_request(uow: UnitOfWork, request_id: int) -> SpocRequest:
    request = uow.session.get(SpocRequest, request_id)
    if request is None:
        raise NotFound("No such SPOC request.")
    if request.status != RegisterStatus.PENDING:
        raise PolicyError(f"This SPOC request has already been decided ({request.status.label}).")
    return request


def _check_can_add(uow: UnitOfWork, request: SpocRequest, agreed: _SpocTerms) -> None:
    if agreed.starts_on is None or agreed.review_due is None:
        raise PolicyError("Set the start date and the review date of the SPOC.")
    check_review_date(agreed.starts_on, agreed.review_due)
    if uow.session.scalar(
        select(SpocEntry.id).where(
            SpocEntry.customer_id == request.customer_id, SpocEntry.status == RegisterStatus.ACTIVE
        )
    ):
        raise PolicyError("This customer already has an active SPOC on the register: end or review it first.")


def _add_entry(
    uow: UnitOfWork, actor: Actor, request: SpocRequest, officer: User, agreed: _SpocTerms, reason: str
) -> int:
    entry = SpocEntry(
        request_id=request.id,
        customer_id=request.customer_id,
        case_id=request.case_id,
        spoc_user_id=officer.id,
        channels=agreed.channels,
        contact_times=agreed.contact_times,
        contact_limit=agreed.contact_limit,
        terms=agreed.terms,
        starts_on=agreed.starts_on,
        review_due=agreed.review_due,
        status=RegisterStatus.ACTIVE,
    )
    uow.session.add(entry)
    uow.audit(actor, "add_spoc_entry", entry, after=snapshot(entry), reason=reason)
    return entry.id


def _get_spoc_entry(uow: UnitOfWork, entry_id: int) -> SpocEntry:
    entry = uow.session.get(SpocEntry, entry_id)
    if entry is None:
        raise NotFound("No such SPOC register entry.")
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError("This SPOC has already ended.")
    return entry


def _vary_spoc(
    entry: SpocEntry,
    channels: list | None,
    contact_times: str | None,
    contact_limit: str | None,
    terms: str | None,
) -> None:
    """A varied SPOC: the terms given (None leaves one as it was), still with a channel."""
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


def review_spoc(
    actor: Actor, entry_id: int, review_of: SpocReview, uow: UnitOfWork, *, today: dt.date | None = None
) -> int:
    """Review a SPOC: lift it (normal working restored), or continue/vary it with a new
    review date 3 to 12 months after the review. Returns the review id."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    r = review_of
    held_on, outcome, evidence_considered, notes, next_review_due = (
        r.held_on,
        r.outcome,
        r.evidence_considered,
        r.notes,
        r.next_review_due,
    )
    channels, contact_times, contact_limit, terms = r.channels, r.contact_times, r.contact_limit, r.terms
    today = _today(today)
    review_outcome: ReviewOutcome = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered", required=True)
    notes = clean_text(notes, "Notes")
    if held_on is None or held_on > today:
        raise PolicyError("The review date held must be today or earlier.")
    ending = rules.review_ends_entry(review_outcome)
    if not ending:
        if next_review_due is None:
            raise PolicyError("Set the next review date.")
        check_review_date(held_on, next_review_due)
    with uow:
        entry = _get_spoc_entry(uow, entry_id)
        before = snapshot(entry)
        if ending:
            entry.status, entry.ended_on = RegisterStatus.ENDED, held_on
            entry.ended_reason = f"{review_outcome.label}. {notes}".strip()
        else:
            assert next_review_due is not None  # checked above: a continued entry has a review date
            entry.review_due = next_review_due
            if review_outcome == ReviewOutcome.VARY:
                _vary_spoc(entry, channels, contact_times, contact_limit, terms)
        review = _record_review(
            uow,
            actor,
            entry,
            "spoc_entry",
            entry.case_id,
            before,
            held_on,
            evidence_considered,
            review_outcome,
            None if ending else next_review_due,
            notes,
            ("review_spoc", "end_spoc" if ending else "update_spoc_entry"),
        )
        uow.commit()
        return review.id


def end_spoc(
    actor: Actor,
    entry_id: int,
    ended_on: dt.date,
    reason: str,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> None:
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
