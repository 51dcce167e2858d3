"""Each appealable decision's one appeal clock (clause 4.2), loaded from the records.

The rule is `core.policy.appeals.appeal_clock` (28 days from the day the customer was informed:
the first letter sent about the decision, or the decision date). This module only finds those
two dates for each kind of decision, so the letter, the case overview and the appeal service
read the same appeal-by date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import LetterType, SubjectType
from core.models import FormalAction, Letter, PvpEntry, Review, SpocEntry, SpocRequest, StageEvent
from core.policy.appeals import AppealClock, appeal_clock


def first_letter_sent(
    session: Session, letter_type: LetterType, subject_type: str, subject_id: int
) -> dt.date | None:
    """The day the first letter of this type about this record was sent, if any."""
    return session.scalar(
        select(Letter.sent_on)
        .where(
            Letter.letter_type == letter_type,
            Letter.subject_type == subject_type,
            Letter.subject_id == subject_id,
            Letter.status == "sent",
        )
        .order_by(Letter.sent_on)
        .limit(1)
    )


def stage_event_clock(event: StageEvent) -> AppealClock:
    """An informal, warning or formal decision: its letter's first sending sets notified_on."""
    return appeal_clock(event.decided_on, event.notified_on)


def formal_action_clock(action: FormalAction) -> AppealClock:
    """A restriction is told to the customer in its formal-stage decision's letter."""
    return stage_event_clock(action.stage_event)


def review_clock(session: Session, review: Review) -> AppealClock:
    """A review outcome is told in the review-outcome letter."""
    sent = first_letter_sent(session, LetterType.REVIEW_OUTCOME, SubjectType.REVIEW, review.id)
    return appeal_clock(review.held_on, sent)


def spoc_decision(session: Session, entry: SpocEntry) -> tuple[dt.date, int | None]:
    """The DMO's decision behind a SPOC register entry: its date (the review meeting) and who took it."""
    request = session.get(SpocRequest, entry.request_id)
    if request is None:
        return entry.starts_on, None
    decided_on = request.meeting_on or (request.decided_at.date() if request.decided_at else entry.starts_on)
    return decided_on, request.decided_by_id


def spoc_clock(session: Session, entry: SpocEntry) -> AppealClock:
    """A SPOC on the register: from the day it starts (never before the DMO's decision)."""
    decided_on, _ = spoc_decision(session, entry)
    return appeal_clock(decided_on, takes_effect_on=entry.starts_on)


def pvp_decided_on(entry: PvpEntry) -> dt.date:
    return entry.approved_at.date() if entry.approved_at else (entry.starts_on or entry.proposed_at.date())


def pvp_clock(session: Session, entry: PvpEntry) -> AppealClock:
    """A PVP marker is told in the PVP notice (the register may record the notice's date)."""
    sent = first_letter_sent(session, LetterType.PVP_NOTICE, SubjectType.PVP_ENTRY, entry.id)
    return appeal_clock(
        pvp_decided_on(entry), sent or entry.customer_notified_on, takes_effect_on=entry.starts_on
    )
