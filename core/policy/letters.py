"""Letter rules (policy Appendices A and B, clause 4.2): which letters notify a decision, and
from which day the 28-day appeal window a letter states runs. Pure: pass `today` in."""

from __future__ import annotations

import datetime as dt

from core.enums import LetterType, Stage
from core.policy.deadlines import appeal_window_start

# Sending these is what tells the customer of the decision and starts the 28-day appeal window:
# every letter about a decision the customer may appeal (clause 4.2). A later copy repeats the
# first letter's appeal-by date.
STARTS_APPEAL_WINDOW = frozenset(
    {
        LetterType.INFORMAL_SUMMARY,
        LetterType.WARNING,
        LetterType.FORMAL,
        LetterType.REVIEW_OUTCOME,
        LetterType.PVP_NOTICE,
    }
)
# Letters to the customer (each states the appeal route); the staff notice goes to staff only.
CUSTOMER_LETTERS = frozenset(t for t in LetterType if t != LetterType.STAFF_NOTICE)
# The stage decision each stage letter is about.
STAGE_OF_LETTER = {
    LetterType.INFORMAL_SUMMARY: Stage.INFORMAL,
    LetterType.WARNING: Stage.WARNING,
    LetterType.FORMAL: Stage.FORMAL,
}


def starts_appeal_window(letter_type: LetterType) -> bool:
    return letter_type in STARTS_APPEAL_WINDOW


def letter_appeal_window_start(
    letter_type: LetterType, first_sent_on: dt.date | None, today: dt.date
) -> dt.date:
    """The day the 28-day appeal window runs from, as the letter should state it.

    A decision the customer may appeal (informal, warning, formal, review outcome, PVP marker) is
    notified by its letter: the first letter sent is the notification, and a later copy repeats
    the same deadline; a draft not yet sent is dated, and would notify, today. Other letters
    (appeal acknowledgement and outcome, third-party contact) state the window for a decision told
    today. The start itself is the one rule in core.policy.deadlines.appeal_window_start."""
    notified_on = first_sent_on if starts_appeal_window(letter_type) else None
    return appeal_window_start(notified_on, today)
