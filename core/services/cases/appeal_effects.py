"""The effect of an appeal decision on a review outcome or a PVP marker (clause 4.2).

- A review that continued or varied a restriction: varied changes the restriction's terms or
  review date; overturned ends the restriction (it should not have continued).
- A review that continued a warning: varied sets a new review date; overturned takes no further
  action, as the review should have done, and the case closes.
- A PVP marker: varied changes the arrangements or the review date; overturned ends the marker.
"""

from __future__ import annotations

import datetime as dt

from core.db import UnitOfWork, snapshot
from core.enums import ActionStatus, AppealOutcome, RegisterStatus, Stage, SubjectType
from core.errors import PolicyError
from core.models import Case, FormalAction, PvpEntry, Review, StageEvent
from core.permissions import Actor
from core.policy.deadlines import check_review_date
from core.services.cases._common import SPOC_OVERTURNED, _changed, _close


def _say_how(terms: str, review_due: dt.date | None) -> list[str]:
    return ([f"terms: {terms}"] if terms else []) + (
        [f"review due {review_due:%d %B %Y}"] if review_due else []
    )


def decide_review(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    review: Review,
    outcome: AppealOutcome,
    terms: str,
    review_due: dt.date | None,
    today: dt.date,
) -> list[str]:
    """Apply an appeal decision on a review outcome; returns what was varied, in words."""
    if outcome == AppealOutcome.UPHELD:
        return []
    if review.subject_type == SubjectType.FORMAL_ACTION:
        action = uow.session.get(FormalAction, review.subject_id)
        if action is None or action.status != ActionStatus.ACTIVE:
            raise PolicyError("That restriction has already ended: the appeal can only be upheld.")
        before = snapshot(action)
        if outcome == AppealOutcome.VARIED:
            action.terms = terms or action.terms
            if review_due:
                action.review_due = check_review_date(review.held_on, review_due)
        else:
            action.status, action.ended_on, action.ended_reason = (
                ActionStatus.OVERTURNED,
                today,
                SPOC_OVERTURNED,
            )
        uow.flush()
        b, a = _changed(before, snapshot(action))
        uow.audit(
            actor,
            "review_formal_action",
            action,
            customer_id=case.customer_id,
            before=b,
            after=a,
            reason=f"Appeal against the review of {review.held_on:%d %B %Y} decided: {outcome.label}",
        )
        return _say_how(terms, review_due) if outcome == AppealOutcome.VARIED else []
    event = uow.session.get(StageEvent, review.subject_id)
    if event is None or case.stage != Stage.WARNING:
        raise PolicyError("That warning is no longer in force: the appeal can only be upheld.")
    if outcome == AppealOutcome.VARIED:
        if terms or not review_due or review_due <= review.held_on:
            raise PolicyError("A warning review is varied by a new review date after the review.")
        event.review_due = case.warning_review_due = review_due
        return _say_how("", review_due)
    _close(uow, actor, case, today, "Warning review overturned on appeal: no further action.")
    return []


def decide_pvp(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    entry: PvpEntry,
    outcome: AppealOutcome,
    terms: str,
    review_due: dt.date | None,
    today: dt.date,
) -> list[str]:
    """Apply an appeal decision on a PVP marker; returns what was varied, in words."""
    if outcome == AppealOutcome.UPHELD:
        return []
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError("That PVP marker is no longer in force: the appeal can only be upheld.")
    before = snapshot(entry)
    if outcome == AppealOutcome.VARIED:
        entry.arrangements = terms or entry.arrangements
        if review_due:
            if review_due <= today:
                raise PolicyError("The PVP marker's new review date must be in the future.")
            entry.review_due = review_due
    else:
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, today, SPOC_OVERTURNED
    uow.flush()
    b, a = _changed(before, snapshot(entry))
    uow.audit(
        actor,
        "update_pvp_entry",
        entry,
        customer_id=case.customer_id,
        before=b,
        after=a,
        reason=f"Appeal decided: {outcome.label}",
    )
    return _say_how(terms, review_due) if outcome == AppealOutcome.VARIED else []
