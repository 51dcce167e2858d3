"""The policy's timescales (clause 4.2), each computed in one place.

Working days exclude weekends and England & Wales bank holidays, taken from the maintained
`holidays` library (substitute days included), never a hand-typed list.
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

import holidays

from core.errors import PolicyError

APPEAL_WINDOW_DAYS = 28
APPEAL_DECISION_WORKING_DAYS = 5
REVIEW_MIN_MONTHS = 3
REVIEW_MAX_MONTHS = 12
SAR_RESPONSE_MONTHS = 1


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself never counts)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day of the month `months` later, clipped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def appeal_deadline(decision_notified_on: dt.date) -> dt.date:
    """The customer may appeal "within 28 days of the decision" (clause 4.2), counted from the day
    they were informed of it. Calendar days: the policy gives no working-day rule for the
    customer's side, so a deadline on a weekend or bank holiday stays where it falls (an appeal
    received on the next working day is late and needs a recorded reason to accept it)."""
    return decision_notified_on + dt.timedelta(days=APPEAL_WINDOW_DAYS)


def is_appeal_late(decision_notified_on: dt.date, received_on: dt.date) -> bool:
    return received_on > appeal_deadline(decision_notified_on)


def appeal_decision_due(received_on: dt.date) -> dt.date:
    """Appeals are decided within 5 working days of receipt."""
    return add_working_days(received_on, APPEAL_DECISION_WORKING_DAYS)


def review_window(starts_on: dt.date) -> tuple[dt.date, dt.date]:
    """A change to how NPH works with a customer is reviewed 3 to 12 months after it starts."""
    return add_months(starts_on, REVIEW_MIN_MONTHS), add_months(starts_on, REVIEW_MAX_MONTHS)


def check_review_date(starts_on: dt.date, review_due: dt.date) -> dt.date:
    """Refuse a review date outside the policy's 3-12 month range."""
    earliest, latest = review_window(starts_on)
    if not earliest <= review_due <= latest:
        raise PolicyError(
            f"The review date must be between 3 and 12 months after the start "
            f"({earliest:%d %B %Y} to {latest:%d %B %Y})."
        )
    return review_due


def sar_due(received_on: dt.date) -> dt.date:
    """A subject access request is answered within one calendar month."""
    return add_months(received_on, SAR_RESPONSE_MONTHS)


def appeal_window_start(notified_on: dt.date | None, decided_on: dt.date) -> dt.date:
    """The day the customer was informed of a decision: the date its letter was first sent, or the
    decision date when the decision was given in writing at once (no letter sent yet).

    The one home of this rule: `core.policy.appeals.appeal_clock` builds every decision's
    appeal-by date on it, and the case overview, appeals and letters all use that clock."""
    return notified_on or decided_on
