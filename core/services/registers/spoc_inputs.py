"""What the DMO records at a SPOC review meeting and at a SPOC review: parameter objects for
the two SPOC use cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class SpocMeeting:
    """What the DMO records at the SPOC review meeting (clause 5): the meeting, the decision and,
    on approval, the SPOC's officer and terms."""

    meeting_on: dt.date | None
    attendees: str
    discussion: str
    approve: bool
    decision_reason: str
    spoc_user_id: int | None = None
    channels: list | None = None
    contact_times: str = ""
    contact_limit: str = ""
    terms: str = ""
    starts_on: dt.date | None = None
    review_due: dt.date | None = None


@dataclass(frozen=True)
class SpocReview:
    """A SPOC review: when it was held, the outcome, the evidence and, to continue or vary, the next
    review date and any new terms (None keeps what is in force)."""

    held_on: dt.date
    outcome: str
    evidence_considered: str
    notes: str = ""
    next_review_due: dt.date | None = None
    channels: list | None = None
    contact_times: str | None = None
    contact_limit: str | None = None
    terms: str | None = None
