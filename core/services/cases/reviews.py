"""Reviews of a warning or a restriction (clause 4.1)."""

from __future__ import annotations

import datetime as dt

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus,
    ReviewOutcome,
    Stage,
)
from core.errors import PolicyError
from core.models import (
    Review,
)
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


def record_review(
    actor: Actor,
    case_id: int,
    subject_type: str,
    subject_id: int,
    outcome: str,
    evidence_considered: str,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
    held_on: dt.date | None = None,
    next_review_due: dt.date | None = None,
    new_terms: str = "",
    notes: str = "",
) -> int:
    """Review a warning ('warning', its stage event id) or a restriction ('formal_action').
    Warning: no further action (closes the case) or continue. Restriction: lift (normal working
    restored), vary or continue, with a new date 3-12 months ahead. Returns the review id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    held_on = _decision_date(held_on, today, "The review date")
    result = parse_enum(ReviewOutcome, outcome, "Review outcome")
    evidence_considered = clean_text(evidence_considered, "Evidence considered")
    new_terms = clean_text(new_terms, "Varied terms")
    notes = clean_text(notes, "Notes")
    if subject_type not in ("warning", "formal_action"):
        raise PolicyError("Choose the warning or the restriction being reviewed.")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = _facts(case)
        _refuse(rules.check_review(facts).problems)
        before = snapshot(case)
        if subject_type == "warning":
            event = next(
                (
                    e
                    for e in case.stage_events
                    if e.id == subject_id and e.to_stage == Stage.WARNING and not _overturned(e)
                ),
                None,
            )
            if event is None or case.stage != Stage.WARNING:
                raise PolicyError("That warning is not the one in force on this case.")
            since = len(rules.counting_incidents_since(facts, event.decided_on))
            _refuse(
                rules.review_outcome_problems(
                    "warning",
                    result,
                    held_on,
                    next_review_due,
                    since,
                    evidence_considered,
                )
            )
            review = Review(
                case_id=case.id,
                subject_type="stage_event",
                subject_id=event.id,
                held_on=held_on,
                reviewed_by_id=actor.user_id,
                evidence_considered=evidence_considered,
                outcome=result,
                next_review_due=next_review_due if result == ReviewOutcome.CONTINUE else None,
                notes=notes,
            )
            uow.session.add(review)
            if result == ReviewOutcome.NO_FURTHER_ACTION:
                _close(
                    uow,
                    actor,
                    case,
                    held_on,
                    "Warning reviewed: no further incidents, no further action.",
                )
            else:
                event.review_due = next_review_due
                case.warning_review_due = next_review_due
        else:
            action = next((a for a in case.formal_actions if a.id == subject_id), None)
            if action is None or action.status != ActionStatus.ACTIVE:
                raise PolicyError("That restriction is not active on this case.")
            since = len([i for i in facts.incidents if i.counts and i.occurred_on >= action.starts_on])
            _refuse(
                rules.review_outcome_problems(
                    "formal_action",
                    result,
                    held_on,
                    next_review_due,
                    since,
                    evidence_considered,
                    new_terms,
                )
            )
            action_before = snapshot(action)
            review = Review(
                case_id=case.id,
                subject_type="formal_action",
                subject_id=action.id,
                held_on=held_on,
                reviewed_by_id=actor.user_id,
                evidence_considered=evidence_considered,
                outcome=result,
                next_review_due=None if result == ReviewOutcome.LIFT else next_review_due,
                notes=notes,
            )
            uow.session.add(review)
            if result == ReviewOutcome.LIFT:
                action.status, action.ended_on = ActionStatus.LIFTED, held_on
                action.ended_reason = "Lifted at review: normal working restored."
            else:
                action.review_due = next_review_due
                if result == ReviewOutcome.VARY:
                    action.terms = new_terms
            uow.flush()
            b, a = _changed(action_before, snapshot(action))
            uow.audit(
                actor,
                "review_formal_action",
                action,
                customer_id=case.customer_id,
                before=b,
                after=a,
                reason=result.label,
            )
            left = [x for x in case.formal_actions if x.status == ActionStatus.ACTIVE]
            if result == ReviewOutcome.LIFT and not left:
                _close(
                    uow,
                    actor,
                    case,
                    held_on,
                    "All restrictions lifted at review: normal relations restored.",
                )
        uow.flush()
        uow.audit(
            actor,
            "record_review",
            review,
            customer_id=case.customer_id,
            after=snapshot(review),
        )
        _audit_case(uow, actor, "case_reviewed", case, before, reason=result.label)
        uow.commit()
        return review.id
