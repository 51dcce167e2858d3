"""The SPOC register (Data Management Officer) and the PVP register (H&S Well-being Officer),
clause 5; reviews due on both; the red-flag export for the housing management system."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Channel, RegisterStatus, ReviewOutcome, Role, Stage, channel_labels
from core.errors import NotFound, PolicyError
from core.models import (
    Case, Customer, Incident, PvpConsideration, PvpEntry, Review, ServiceArea, SpocEntry,
    SpocRequest, User, utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.policy.deadlines import check_review_date
from core.services.arrangements import disclosure_log  # noqa: F401  (the DMO's read, re-exported)
from core.validation import clean_line, clean_text, parse_enum

SPOC_OFFICER_ROLES = (Role.TEAM_LEADER, Role.DMO, Role.HSW_OFFICER, Role.ASSISTANT_DIRECTOR)
RED_FLAG_COLUMNS = ("housing_ref", "flag_type", "start_date", "review_date")
STATUS_FILTERS = ("active", "due", "overdue", "ended", "pending", "rejected", "all")


def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_names(uow: UnitOfWork, ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(uow.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _channels(values: list) -> list[str]:
    return [parse_enum(Channel, v.value if isinstance(v, Channel) else v, "Channel").value
            for v in dict.fromkeys(values or [])]


def _matches(status_filter: str, active: bool, state: str, status: RegisterStatus) -> bool:
    if status_filter == "all":
        return True
    if status_filter == "active":
        return active
    if status_filter == "due":
        return active and state == rules.DUE_SOON
    if status_filter == "overdue":
        return active and state == rules.OVERDUE
    if status_filter == "ended":
        return status == RegisterStatus.ENDED
    if status_filter == "pending":
        return status == RegisterStatus.PENDING
    if status_filter == "rejected":
        return status == RegisterStatus.REJECTED
    raise PolicyError(f"Unknown register filter {status_filter!r}; use one of {', '.join(STATUS_FILTERS)}.")


# --------------------------------------------------------------------------------------------
# SPOC: request (team leader) -> review meeting and decision (DMO) -> central register
# --------------------------------------------------------------------------------------------

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


def spoc_requests(actor: Actor, uow: UnitOfWork, status: str = "pending") -> list[dict]:
    """SPOC requests with their reasons, evidence and decisions (rejected ones keep their reasons)."""
    require(actor, Permission.VIEW_REGISTERS)
    with uow:
        requests = uow.session.scalars(select(SpocRequest).order_by(SpocRequest.requested_at)).all()
        names = _user_names(uow, {r.requested_by_id for r in requests} | {r.decided_by_id for r in requests})
        rows = []
        for r in requests:
            if status != "all" and r.status.value != status:
                continue
            rows.append({
                "request_id": r.id, "case_id": r.case_id, "customer_id": r.customer_id,
                "customer": r.customer.full_name, "housing_ref": r.customer.housing_ref,
                "requested_by": names.get(r.requested_by_id, ""), "requested_on": r.requested_at.date(),
                "reason": r.reason, "status": r.status.label,
                "evidence": [{"id": i.id, "occurred_on": i.occurred_at.date(), "category": i.category.label,
                              "summary": _excerpt(i.description, 100)} for i in r.evidence],
                "meeting_on": r.meeting_on, "attendees": r.attendees, "discussion": r.discussion,
                "decision_reason": r.decision_reason, "decided_by": names.get(r.decided_by_id, ""),
            })
        return rows


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


def _record_review(uow: UnitOfWork, actor: Actor, entry, subject_type: str, case_id: Optional[int],
                   before: dict, held_on: dt.date, evidence_considered: str, outcome: ReviewOutcome,
                   next_review_due: Optional[dt.date], notes: str, actions: tuple[str, str]) -> Review:
    """The review row of a register entry, audited together with the entry's before/after."""
    review = Review(case_id=case_id, subject_type=subject_type, subject_id=entry.id, held_on=held_on,
                    reviewed_by_id=actor.user_id, evidence_considered=evidence_considered,
                    outcome=outcome, next_review_due=next_review_due, notes=notes)
    uow.session.add(review)
    review_action, entry_action = actions
    uow.audit(actor, review_action, review, customer_id=entry.customer_id, after=snapshot(review),
              reason=notes or outcome.label)
    old, new = changed_fields(before, snapshot(entry))
    uow.audit(actor, entry_action, entry, before=old, after=new, reason=notes or outcome.label)
    return review


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


def spoc_register(actor: Actor, uow: UnitOfWork, status: str = "active",
                  service_area_id: Optional[int] = None, today: Optional[dt.date] = None) -> list[dict]:
    """The central SPOC register: active, due for review (next 30 days), overdue, ended, or all."""
    require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    if status not in STATUS_FILTERS:
        _matches(status, False, "", RegisterStatus.ACTIVE)
    with uow:
        stmt = (select(SpocEntry, Case.service_area_id, ServiceArea.name)
                .join(Case, Case.id == SpocEntry.case_id)
                .join(ServiceArea, ServiceArea.id == Case.service_area_id))
        if service_area_id:
            stmt = stmt.where(Case.service_area_id == service_area_id)
        rows = uow.session.execute(stmt.order_by(SpocEntry.review_due, SpocEntry.id)).all()
        names = _user_names(uow, {e.spoc_user_id for e, _, _ in rows})
        out = []
        for entry, _area_id, area in rows:
            active = entry.status == RegisterStatus.ACTIVE
            state = rules.review_state(entry.review_due, today, active=active)
            if not _matches(status, active, state, entry.status):
                continue
            out.append({
                "entry_id": entry.id, "customer_id": entry.customer_id, "customer": entry.customer.full_name,
                "housing_ref": entry.customer.housing_ref, "case_id": entry.case_id, "service_area": area,
                "spoc_officer": names.get(entry.spoc_user_id, ""), "channels": ", ".join(channel_labels(entry.channels)),
                "contact_times": entry.contact_times, "contact_limit": entry.contact_limit,
                "terms": entry.terms, "starts_on": entry.starts_on, "review_due": entry.review_due,
                "status": entry.status.label, "review_state": rules.REVIEW_STATE_LABELS[state],
                "ended_on": entry.ended_on, "ended_reason": entry.ended_reason,
            })
        return out


# --------------------------------------------------------------------------------------------
# PVP: consideration (incident form) -> proposal (team leader) -> approval (H&S officer)
# --------------------------------------------------------------------------------------------

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


def close_pvp_consideration(actor: Actor, consideration_id: int, reason: str, uow: UnitOfWork) -> None:
    """The H&S officer decides no PVP entry is needed, and records why."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    reason = clean_text(reason, "Reason no PVP entry is needed", required=True)
    with uow:
        consideration = uow.session.get(PvpConsideration, consideration_id)
        if consideration is None:
            raise NotFound("No such PVP consideration.")
        if consideration.status != "open":
            raise PolicyError("This PVP consideration is no longer open.")
        before = snapshot(consideration)
        consideration.status, consideration.closed_reason = "closed", reason
        old, new = changed_fields(before, snapshot(consideration))
        uow.audit(actor, "close_pvp_consideration", consideration, before=old, after=new, reason=reason)
        uow.commit()


def propose_pvp(actor: Actor, customer_id: int, consideration_id: Optional[int], reasons: str,
                arrangements: str, two_officers_on_visits: bool, uow: UnitOfWork,
                flag_type: str = "PVP") -> int:
    """Step one of two: a team leader/manager proposes a PVP entry; it is not live yet."""
    require(actor, Permission.PROPOSE_PVP)
    reasons = clean_text(reasons, "Reasons for the PVP entry", required=True)
    arrangements = clean_text(arrangements, "Arrangements", max_len=2000)
    flag_type = clean_line(flag_type, "Flag type", required=True, max_len=60)
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        consideration = None
        if consideration_id is not None:
            consideration = uow.session.get(PvpConsideration, consideration_id)
            if consideration is None or consideration.customer_id != customer.id:
                raise PolicyError("That PVP consideration is not this customer's.")
            if consideration.status != "open":
                raise PolicyError("That PVP consideration is no longer open.")
            incident = uow.session.get(Incident, consideration.incident_id)
            if not incident.counts_as_evidence:
                raise PolicyError("The incident behind this consideration is hearsay, which cannot be "
                                  "used as grounds for a PVP entry (clauses 4.2 and 6).")
        else:
            violent = uow.session.scalars(select(Incident).where(
                Incident.customer_id == customer.id, Incident.violence_or_threat.is_(True))).all()
            if not any(i.counts_as_evidence for i in violent):
                raise PolicyError("A PVP entry follows actual violence or threats of violence: this "
                                  "customer has no such incident on record (first-hand or trusted "
                                  "third party).")
        if uow.session.scalar(select(PvpEntry.id).where(
                PvpEntry.customer_id == customer.id,
                PvpEntry.status.in_([RegisterStatus.PENDING, RegisterStatus.ACTIVE]))):
            raise PolicyError("This customer already has a PVP entry proposed or live: review that "
                              "entry instead.")
        entry = PvpEntry(customer_id=customer.id, consideration_id=consideration_id,
                         proposed_by_id=actor.user_id, reasons=reasons, arrangements=arrangements,
                         flag_type=flag_type, two_officers_on_visits=bool(two_officers_on_visits),
                         status=RegisterStatus.PENDING)
        uow.session.add(entry)
        uow.audit(actor, "propose_pvp", entry, after=snapshot(entry), reason=reasons)
        if consideration is not None:
            before = snapshot(consideration)
            consideration.status = "proposed"
            old, new = changed_fields(before, snapshot(consideration))
            uow.audit(actor, "update_pvp_consideration", consideration, before=old, after=new,
                      reason="PVP entry proposed")
        uow.commit()
        return entry.id


def _get_pvp(uow: UnitOfWork, entry_id: int, *expected: RegisterStatus) -> PvpEntry:
    entry = uow.session.get(PvpEntry, entry_id)
    if entry is None:
        raise NotFound("No such PVP entry.")
    if entry.status not in expected:
        raise PolicyError(f"This PVP entry is {entry.status.label.lower()}: "
                          f"this can only be done when it is {' or '.join(s.label.lower() for s in expected)}.")
    return entry


def _close_consideration(uow: UnitOfWork, actor: Actor, entry: PvpEntry, reason: str) -> None:
    if entry.consideration_id is None:
        return
    consideration = uow.session.get(PvpConsideration, entry.consideration_id)
    if consideration is None or consideration.status == "closed":
        return
    before = snapshot(consideration)
    consideration.status, consideration.closed_reason = "closed", reason
    old, new = changed_fields(before, snapshot(consideration))
    uow.audit(actor, "close_pvp_consideration", consideration, before=old, after=new, reason=reason)


def _apply_notice(entry: PvpEntry, notify: bool, reason: str, reconsider_on: Optional[dt.date],
                  today: dt.date) -> None:
    problems = rules.pvp_notice_problems(notify=notify, not_notified_reason=reason,
                                         reconsider_on=reconsider_on, today=today,
                                         review_due=entry.review_due)
    if problems:
        raise PolicyError(" ".join(problems))
    if notify:
        entry.customer_notified_on, entry.not_notified_reason, entry.reconsider_notice_on = today, "", None
    else:
        entry.customer_notified_on, entry.not_notified_reason, entry.reconsider_notice_on = None, reason, reconsider_on


def approve_pvp(actor: Actor, entry_id: int, review_due: Optional[dt.date], notify: bool, uow: UnitOfWork,
                *, not_notified_reason: str = "", reconsider_notice_on: Optional[dt.date] = None,
                starts_on: Optional[dt.date] = None, today: Optional[dt.date] = None) -> None:
    """Step two of two: the H&S Well-being Officer approves; the entry goes live with a review
    date at most 12 months away. The customer is told in writing (PVP notice letter), unless the
    officer records why telling them would itself create a risk, with a date to reconsider."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    today = _today(today)
    starts_on = starts_on or today
    not_notified_reason = clean_text(not_notified_reason, "Reason the customer is not told", max_len=4000)
    if starts_on > today:
        raise PolicyError("A PVP entry goes live on approval: the start date cannot be in the future.")
    rules.check_pvp_review_date(starts_on, review_due)
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.PENDING)
        if entry.proposed_by_id == actor.user_id:
            raise PolicyError("The officer who proposed a PVP entry cannot also approve it.")
        before = snapshot(entry)
        entry.status, entry.approved_by_id, entry.approved_at = RegisterStatus.ACTIVE, actor.user_id, utcnow()
        entry.starts_on, entry.review_due = starts_on, review_due
        _apply_notice(entry, bool(notify), not_notified_reason, reconsider_notice_on, today)
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(actor, "approve_pvp", entry, before=old, after=new,
                  reason="Approved; customer " + ("told in writing" if notify else
                                                  f"not told: {not_notified_reason}"))
        _close_consideration(uow, actor, entry, "PVP entry approved")
        uow.commit()


def reject_pvp(actor: Actor, entry_id: int, reason: str, uow: UnitOfWork,
               today: Optional[dt.date] = None) -> None:
    """The H&S officer declines a proposed entry; the reasons are kept."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    reason = clean_text(reason, "Reason for rejecting the PVP entry", required=True)
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.PENDING)
        before = snapshot(entry)
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.REJECTED, _today(today), reason
        entry.approved_by_id = actor.user_id
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(actor, "reject_pvp", entry, before=old, after=new, reason=reason)
        _close_consideration(uow, actor, entry, f"PVP entry rejected: {reason}")
        uow.commit()


def record_pvp_notice_decision(actor: Actor, entry_id: int, notify: bool, uow: UnitOfWork, *,
                               not_notified_reason: str = "", reconsider_notice_on: Optional[dt.date] = None,
                               today: Optional[dt.date] = None) -> None:
    """Reconsider telling the customer: record that they are now told, or why not yet."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    today = _today(today)
    not_notified_reason = clean_text(not_notified_reason, "Reason the customer is not told", max_len=4000)
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.ACTIVE)
        before = snapshot(entry)
        _apply_notice(entry, bool(notify), not_notified_reason, reconsider_notice_on, today)
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(actor, "pvp_notice_decision", entry, before=old, after=new,
                  reason="Customer told in writing" if notify else not_notified_reason)
        uow.commit()


def _case_of(uow: UnitOfWork, entry: PvpEntry) -> Optional[int]:
    if entry.consideration_id:
        consideration = uow.session.get(PvpConsideration, entry.consideration_id)
        incident = uow.session.get(Incident, consideration.incident_id) if consideration else None
        if incident is not None:
            return incident.case_id
    return uow.session.scalar(select(Case.id).where(Case.customer_id == entry.customer_id)
                              .order_by(Case.id.desc()).limit(1))


def review_pvp(actor: Actor, entry_id: int, held_on: dt.date, outcome: str, evidence_considered: str,
               uow: UnitOfWork, *, notes: str = "", next_review_due: Optional[dt.date] = None,
               arrangements: Optional[str] = None, two_officers_on_visits: Optional[bool] = None,
               today: Optional[dt.date] = None) -> int:
    """Review a live PVP entry: continue or vary it (next review at most 12 months away), or
    remove it when no longer justified. Returns the review id."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    today = _today(today)
    outcome = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered", required=True)
    notes = clean_text(notes, "Notes")
    if held_on is None or held_on > today:
        raise PolicyError("The review date held must be today or earlier.")
    ending = outcome in (ReviewOutcome.LIFT, ReviewOutcome.NO_FURTHER_ACTION)
    if ending and not notes:
        raise PolicyError("Record why the PVP entry is no longer justified.")
    if not ending:
        rules.check_pvp_review_date(held_on, next_review_due)
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.ACTIVE)
        before = snapshot(entry)
        if ending:
            entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, held_on, notes
        else:
            entry.review_due = next_review_due
            if outcome == ReviewOutcome.VARY:
                if arrangements is not None:
                    entry.arrangements = clean_text(arrangements, "Arrangements", max_len=2000)
                if two_officers_on_visits is not None:
                    entry.two_officers_on_visits = bool(two_officers_on_visits)
        review = _record_review(uow, actor, entry, "pvp_entry", _case_of(uow, entry), before, held_on,
                                evidence_considered, outcome, None if ending else next_review_due, notes,
                                ("review_pvp", "remove_pvp" if ending else "update_pvp_entry"))
        uow.commit()
        return review.id


def remove_pvp(actor: Actor, entry_id: int, ended_on: dt.date, reason: str, uow: UnitOfWork,
               today: Optional[dt.date] = None) -> None:
    """Take a customer off the PVP register when the entry is no longer justified."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    reason = clean_text(reason, "Reason for removing the PVP entry", required=True)
    if ended_on is None or ended_on > _today(today):
        raise PolicyError("The removal date must be today or earlier.")
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.ACTIVE)
        if entry.starts_on and ended_on < entry.starts_on:
            raise PolicyError("A PVP entry cannot be removed before it started.")
        before = snapshot(entry)
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, ended_on, reason
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(actor, "remove_pvp", entry, before=old, after=new, reason=reason)
        uow.commit()


def restart_pvp_clock(uow: UnitOfWork, customer_id: int, incident_date: dt.date, *,
                      actor: Optional[Actor] = None, counts_as_evidence: bool = True) -> list[int]:
    """Inside the caller's unit of work: a new violent incident for a customer with a live PVP
    entry restarts its 12-month review clock (hearsay never counts). Returns the entries moved."""
    if not counts_as_evidence:
        return []
    moved = []
    for entry in uow.session.scalars(select(PvpEntry).where(
            PvpEntry.customer_id == customer_id, PvpEntry.status == RegisterStatus.ACTIVE)).all():
        new_due = rules.restarted_pvp_review(entry.review_due, incident_date)
        if new_due == entry.review_due:
            continue
        before = {"review_due": snapshot(entry)["review_due"]}
        entry.review_due = new_due
        uow.audit(actor, "restart_pvp_clock", entry, before=before,
                  after={"review_due": new_due.isoformat()},
                  reason=f"New violent or threatening incident on {incident_date:%d %B %Y}")
        moved.append(entry.id)
    return moved


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


# --------------------------------------------------------------------------------------------
# Reviews due on both registers (feeds the monitoring charts) and exports
# --------------------------------------------------------------------------------------------

def reviews_due(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None) -> dict[str, dict[str, int]]:
    """Counts of live entries whose review is overdue or due in the next 30 days, per register."""
    if not actor.can(Permission.VIEW_MONITORING):
        require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    with uow:
        result = {}
        for name, model in (("spoc", SpocEntry), ("pvp", PvpEntry)):
            dues = uow.session.scalars(select(model.review_due).where(model.status == RegisterStatus.ACTIVE)).all()
            states = [rules.review_state(d, today) for d in dues]
            result[name] = {"active": len(states), "overdue": states.count(rules.OVERDUE),
                            "due_soon": states.count(rules.DUE_SOON)}
        return result


EXPORTABLE = {
    "spoc_register": "SPOC register",
    "pvp_register": "PVP register",
    "red_flags": "Red-flag list for the housing management system",
}


def export_register(actor: Actor, register: str, fmt: str, uow_factory, *,
                    status: str = "all", service_area_id: Optional[int] = None,
                    today: Optional[dt.date] = None) -> tuple[str, bytes, str]:
    """A register as CSV or Excel, with spreadsheet formulas neutralised; the export is
    recorded in the audit log. `uow_factory()` gives a fresh unit of work per step.
    Returns (file name, bytes, MIME type)."""
    from core import exports

    if register == "spoc_register":
        rows = spoc_register(actor, uow_factory(), status=status, service_area_id=service_area_id, today=today)
        permission = Permission.VIEW_REGISTERS
    elif register == "pvp_register":
        rows = pvp_register(actor, uow_factory(), status=status, today=today)
        permission = Permission.VIEW_REGISTERS
    elif register == "red_flags":
        rows = red_flag_export(actor, uow_factory())
        permission = Permission.MANAGE_PVP_REGISTER
    else:
        raise PolicyError(f"Unknown register {register!r}.")
    columns = list(RED_FLAG_COLUMNS) if register == "red_flags" else None
    return exports.export(actor, register, rows, fmt, uow_factory(), permission=permission, today=today,
                          columns=columns, filters={"status": status, "service_area_id": service_area_id}
                          if register != "red_flags" else {})
