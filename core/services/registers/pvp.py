"""PVP: consideration (incident form) -> proposal (team leader) -> approval (H&S officer) (clauses 4.1, 5)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import RegisterStatus, ReviewOutcome
from core.errors import NotFound, PolicyError
from core.models import (
    Case,
    Customer,
    Incident,
    PvpConsideration,
    PvpEntry,
    utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    _record_review,
    _today,
)
from core.validation import clean_line, clean_text, parse_enum


def close_pvp_consideration(actor: Actor, consideration_id: int, reason: str, uow: UnitOfWork) -> None:
    """The H&S officer decides no PVP entry is needed, and records why. Deciding the
    consideration (this, or approving or rejecting the entry proposed from it) ends the
    incident's interim in-person arrangement (core.services.arrangements.interim_in_person)."""
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


def _pvp_grounds(
    session: Session, customer: Customer, consideration_id: int | None
) -> PvpConsideration | None:
    """Refuse a PVP proposal without grounds: the open consideration named (on a counting
    incident), or else a counting violent incident on record; and no entry already proposed or
    live. Returns the consideration."""
    consideration = None
    if consideration_id is not None:
        consideration = session.get(PvpConsideration, consideration_id)
        if consideration is None or consideration.customer_id != customer.id:
            raise PolicyError("That PVP consideration is not this customer's.")
        if consideration.status != "open":
            raise PolicyError("That PVP consideration is no longer open.")
        incident = session.get(Incident, consideration.incident_id)
        assert incident is not None  # a foreign key: the consideration's incident exists
        if not incident.counts_as_evidence:
            raise PolicyError(
                "The incident behind this consideration is hearsay, which cannot be "
                "used as grounds for a PVP entry (clauses 4.2 and 6)."
            )
    else:
        violent = session.scalars(
            select(Incident).where(Incident.customer_id == customer.id, Incident.violence_or_threat.is_(True))
        ).all()
        if not any(i.counts_as_evidence for i in violent):
            raise PolicyError(
                "A PVP entry follows actual violence or threats of violence: this "
                "customer has no such incident on record (first-hand or trusted "
                "third party)."
            )
    if session.scalar(
        select(PvpEntry.id).where(
            PvpEntry.customer_id == customer.id,
            PvpEntry.status.in_([RegisterStatus.PENDING, RegisterStatus.ACTIVE]),
        )
    ):
        raise PolicyError(
            "This customer already has a PVP entry proposed or live: review that entry instead."
        )
    return consideration


def propose_pvp(
    actor: Actor,
    customer_id: int,
    consideration_id: int | None,
    reasons: str,
    arrangements: str,
    two_officers_on_visits: bool,
    uow: UnitOfWork,
    flag_type: str = "PVP",
) -> int:
    """Step one of two: a team leader/manager proposes a PVP entry; it is not live yet."""
    require(actor, Permission.PROPOSE_PVP)
    reasons = clean_text(reasons, "Reasons for the PVP entry", required=True)
    arrangements = clean_text(arrangements, "Arrangements", max_len=2000)
    flag_type = clean_line(flag_type, "Flag type", required=True, max_len=60)
    with uow:
        customer = uow.session.get(Customer, customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        consideration = _pvp_grounds(uow.session, customer, consideration_id)
        entry = PvpEntry(
            customer_id=customer.id,
            consideration_id=consideration_id,
            proposed_by_id=actor.user_id,
            reasons=reasons,
            arrangements=arrangements,
            flag_type=flag_type,
            two_officers_on_visits=bool(two_officers_on_visits),
            status=RegisterStatus.PENDING,
        )
        uow.session.add(entry)
        uow.audit(actor, "propose_pvp", entry, after=snapshot(entry), reason=reasons)
        if consideration is not None:
            before = snapshot(consideration)
            consideration.status = "proposed"
            old, new = changed_fields(before, snapshot(consideration))
            uow.audit(
                actor,
                "update_pvp_consideration",
                consideration,
                before=old,
                after=new,
                reason="PVP entry proposed",
            )
        uow.commit()
        return entry.id


def _get_pvp(uow: UnitOfWork, entry_id: int, *expected: RegisterStatus) -> PvpEntry:
    entry = uow.session.get(PvpEntry, entry_id)
    if entry is None:
        raise NotFound("No such PVP entry.")
    if entry.status not in expected:
        raise PolicyError(
            f"This PVP entry is {entry.status.label.lower()}: "
            f"this can only be done when it is {' or '.join(s.label.lower() for s in expected)}."
        )
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


def _apply_notice(
    entry: PvpEntry, notify: bool, reason: str, reconsider_on: dt.date | None, today: dt.date
) -> None:
    problems = rules.pvp_notice_problems(
        notify=notify,
        not_notified_reason=reason,
        reconsider_on=reconsider_on,
        today=today,
        review_due=entry.review_due,
    )
    if problems:
        raise PolicyError(" ".join(problems))
    if notify:
        entry.customer_notified_on, entry.not_notified_reason, entry.reconsider_notice_on = today, "", None
    else:
        entry.customer_notified_on, entry.not_notified_reason, entry.reconsider_notice_on = (
            None,
            reason,
            reconsider_on,
        )


def approve_pvp(
    actor: Actor,
    entry_id: int,
    review_due: dt.date | None,
    notify: bool,
    uow: UnitOfWork,
    *,
    not_notified_reason: str = "",
    reconsider_notice_on: dt.date | None = None,
    starts_on: dt.date | None = None,
    today: dt.date | None = None,
) -> None:
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
        uow.audit(
            actor,
            "approve_pvp",
            entry,
            before=old,
            after=new,
            reason="Approved; customer "
            + ("told in writing" if notify else f"not told: {not_notified_reason}"),
        )
        _close_consideration(uow, actor, entry, "PVP entry approved")
        uow.commit()


def reject_pvp(
    actor: Actor, entry_id: int, reason: str, uow: UnitOfWork, today: dt.date | None = None
) -> None:
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


def record_pvp_notice_decision(
    actor: Actor,
    entry_id: int,
    notify: bool,
    uow: UnitOfWork,
    *,
    not_notified_reason: str = "",
    reconsider_notice_on: dt.date | None = None,
    today: dt.date | None = None,
) -> None:
    """Reconsider telling the customer: record that they are now told, or why not yet."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    today = _today(today)
    not_notified_reason = clean_text(not_notified_reason, "Reason the customer is not told", max_len=4000)
    with uow:
        entry = _get_pvp(uow, entry_id, RegisterStatus.ACTIVE)
        before = snapshot(entry)
        _apply_notice(entry, bool(notify), not_notified_reason, reconsider_notice_on, today)
        old, new = changed_fields(before, snapshot(entry))
        uow.audit(
            actor,
            "pvp_notice_decision",
            entry,
            before=old,
            after=new,
            reason="Customer told in writing" if notify else not_notified_reason,
        )
        uow.commit()


def _case_of(uow: UnitOfWork, entry: PvpEntry) -> int | None:
    if entry.consideration_id:
        consideration = uow.session.get(PvpConsideration, entry.consideration_id)
        incident = uow.session.get(Incident, consideration.incident_id) if consideration else None
        if incident is not None:
            return incident.case_id
    return uow.session.scalar(
        select(Case.id).where(Case.customer_id == entry.customer_id).order_by(Case.id.desc()).limit(1)
    )


def review_pvp(
    actor: Actor,
    entry_id: int,
    held_on: dt.date,
    outcome: str,
    evidence_considered: str,
    uow: UnitOfWork,
    *,
    notes: str = "",
    next_review_due: dt.date | None = None,
    arrangements: str | None = None,
    two_officers_on_visits: bool | None = None,
    today: dt.date | None = None,
) -> int:
    """Review a live PVP entry: continue or vary it (next review at most 12 months away), or
    remove it when no longer justified. Returns the review id."""
    require(actor, Permission.MANAGE_PVP_REGISTER)
    today = _today(today)
    review_outcome: ReviewOutcome = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered", required=True)
    notes = clean_text(notes, "Notes")
    if held_on is None or held_on > today:
        raise PolicyError("The review date held must be today or earlier.")
    ending = rules.review_ends_entry(review_outcome)
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
            assert next_review_due is not None  # checked above: a continued entry has a review date
            entry.review_due = next_review_due
            if review_outcome == ReviewOutcome.VARY:
                if arrangements is not None:
                    entry.arrangements = clean_text(arrangements, "Arrangements", max_len=2000)
                if two_officers_on_visits is not None:
                    entry.two_officers_on_visits = bool(two_officers_on_visits)
        review = _record_review(
            uow,
            actor,
            entry,
            "pvp_entry",
            _case_of(uow, entry),
            before,
            held_on,
            evidence_considered,
            review_outcome,
            None if ending else next_review_due,
            notes,
            ("review_pvp", "remove_pvp" if ending else "update_pvp_entry"),
        )
        uow.commit()
        return review.id


def remove_pvp(
    actor: Actor,
    entry_id: int,
    ended_on: dt.date,
    reason: str,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> None:
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


def restart_pvp_clock(
    uow: UnitOfWork,
    customer_id: int,
    incident_date: dt.date,
    *,
    actor: Actor | None = None,
    counts_as_evidence: bool = True,
) -> list[int]:
    """Inside the caller's unit of work: a new violent incident for a customer with a live PVP
    entry restarts its 12-month review clock (hearsay never counts). Returns the entries moved."""
    if not counts_as_evidence:
        return []
    moved = []
    for entry in uow.session.scalars(
        select(PvpEntry).where(PvpEntry.customer_id == customer_id, PvpEntry.status == RegisterStatus.ACTIVE)
    ).all():
        new_due = rules.restarted_pvp_review(entry.review_due, incident_date)
        if new_due == entry.review_due:
            continue
        before = {"review_due": snapshot(entry)["review_due"]}
        entry.review_due = new_due
        uow.audit(
            actor,
            "restart_pvp_clock",
            entry,
            before=before,
            after={"review_due": new_due.isoformat()},
            reason=f"New violent or threatening incident on {incident_date:%d %B %Y}",
        )
        moved.append(entry.id)
    return moved
