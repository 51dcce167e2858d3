"""Reviews of a warning or a restriction (clause 4.1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.db import UnitOfWork, snapshot
from core.enums import ActionStatus, ReviewOutcome, SubjectType
from core.errors import PolicyError
from core.models import Case, Review
from core.permissions import Actor, Permission, require
from core.policy import stages as rules
from core.services.cases._common import (
    _audit_case,
    _changed,
    _close,
    _decision_date,
    _facts,
    _load,
    _overturned,
    _refuse,
    _today,
)
from core.validation import clean_text, parse_enum


@dataclass
class ReviewDecision:
    """A review as recorded: of the warning in force (subject "warning", its stage event id) or
    of an active restriction ("formal_action", its id)."""

    subject_type: str
    subject_id: int
    outcome: str
    evidence_considered: str
    held_on: dt.date | None = None
    next_review_due: dt.date | None = None
    new_terms: str = ""
    notes: str = ""


@dataclass(frozen=True)
class _Review:
    """A ReviewDecision checked and cleaned."""

    subject_type: SubjectType
    subject_id: int
    outcome: ReviewOutcome
    evidence_considered: str
    held_on: dt.date
    next_review_due: dt.date | None
    new_terms: str
    notes: str


def _clean(review: ReviewDecision, today: dt.date) -> _Review:
    if review.subject_type not in (SubjectType.WARNING, SubjectType.FORMAL_ACTION):
        raise PolicyError("Choose the warning or the restriction being reviewed.")
    return _Review(
        SubjectType(review.subject_type),
        review.subject_id,
        parse_enum(ReviewOutcome, review.outcome, "Review outcome"),
        clean_text(review.evidence_considered, "Evidence considered"),
        _decision_date(review.held_on, today, "The review date"),
        review.next_review_due,
        clean_text(review.new_terms, "Varied terms"),
        clean_text(review.notes, "Notes"),
    )


def _new_review(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    subject_type: SubjectType,
    subject_id: int,
    review: _Review,
    next_due: dt.date | None,
) -> Review:
    row = Review(
        case_id=case.id,
        subject_type=subject_type,
        subject_id=subject_id,
        held_on=review.held_on,
        reviewed_by_id=actor.user_id,
        evidence_considered=review.evidence_considered,
        outcome=review.outcome,
        next_review_due=next_due,
        notes=review.notes,
    )
    uow.session.add(row)
    return row


def _review_warning(
    uow: UnitOfWork, actor: Actor, case: Case, facts: rules.CaseFacts, review: _Review
) -> Review:
    warning = rules.warning_in_force(facts)
    if warning is None or warning.id != review.subject_id:
        raise PolicyError("That warning is not the one in force on this case.")
    event = next(e for e in case.stage_events if e.id == warning.id and not _overturned(e))
    since = len(rules.counting_incidents_since(facts, event.decided_on))
    _refuse(
        rules.review_outcome_problems(
            SubjectType.WARNING,
            review.outcome,
            review.held_on,
            review.next_review_due,
            since,
            review.evidence_considered,
        )
    )
    continued = review.outcome == ReviewOutcome.CONTINUE
    row = _new_review(
        uow,
        actor,
        case,
        SubjectType.STAGE_EVENT,
        event.id,
        review,
        review.next_review_due if continued else None,
    )
    if review.outcome == ReviewOutcome.NO_FURTHER_ACTION:
        _close(uow, actor, case, review.held_on, "Warning reviewed: no further incidents, no further action.")
    else:
        event.review_due = review.next_review_due
        case.warning_review_due = review.next_review_due
    return row


def _review_action(
    uow: UnitOfWork, actor: Actor, case: Case, facts: rules.CaseFacts, review: _Review
) -> Review:
    action = next((a for a in case.formal_actions if a.id == review.subject_id), None)
    if action is None or action.status != ActionStatus.ACTIVE:
        raise PolicyError("That restriction is not active on this case.")
    since = len(rules.incidents_during(facts.incidents, action.starts_on))
    _refuse(
        rules.review_outcome_problems(
            SubjectType.FORMAL_ACTION,
            review.outcome,
            review.held_on,
            review.next_review_due,
            since,
            review.evidence_considered,
            review.new_terms,
        )
    )
    lifted = review.outcome == ReviewOutcome.LIFT
    action_before = snapshot(action)
    row = _new_review(
        uow,
        actor,
        case,
        SubjectType.FORMAL_ACTION,
        action.id,
        review,
        None if lifted else review.next_review_due,
    )
    if lifted:
        action.status, action.ended_on = ActionStatus.LIFTED, review.held_on
        action.ended_reason = "Lifted at review: normal working restored."
    else:
        # review_outcome_problems refuses a continued or varied restriction without the date
        assert review.next_review_due is not None
        action.review_due = review.next_review_due
        if review.outcome == ReviewOutcome.VARY:
            action.terms = review.new_terms
    uow.flush()
    b, a = _changed(action_before, snapshot(action))
    uow.audit(
        actor,
        "review_formal_action",
        action,
        customer_id=case.customer_id,
        before=b,
        after=a,
        reason=review.outcome.label,
    )
    # Lifting the last restriction does not close the case by itself (issue 13): closing is the team
    # leader's decision (cases.close_case), which checks loose ends and sends the closure letter.
    return row


def record_review(
    actor: Actor,
    case_id: int,
    review: ReviewDecision,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """Review a warning or a restriction. Warning: no further action (closes the case) or
    continue. Restriction: lift (normal working restored), vary or continue, with a new date 3-12
    months ahead. Returns the review id."""
    require(actor, Permission.RUN_CASES)
    r = _clean(review, _today(today))
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case)
        _refuse(rules.check_review(facts).problems)
        before = snapshot(case)
        if r.subject_type == SubjectType.WARNING:
            row = _review_warning(uow, actor, case, facts, r)
        else:
            row = _review_action(uow, actor, case, facts, r)
        uow.flush()
        uow.audit(actor, "record_review", row, customer_id=case.customer_id, after=snapshot(row))
        _audit_case(uow, actor, "case_reviewed", case, before, reason=r.outcome.label)
        uow.commit()
        return row.id
