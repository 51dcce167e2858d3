"""Clause 4.2 timescales: 28-day appeal window, appeal decided within 5 working days
(weekends and England & Wales bank holidays excluded), reviews 3 to 12 months ahead."""

import datetime as dt

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import PolicyError
from core.policy import deadlines as d

ENG = holidays.country_holidays("GB", subdiv="ENG", years=range(2020, 2041))
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2039, 12, 1))


def working(day):
    return day.weekday() < 5 and day not in ENG


@given(dates)
def test_appeal_due_is_always_a_working_day_never_a_bank_holiday(received):
    due = d.appeal_decision_due(received)
    assert due.weekday() < 5
    assert due not in ENG


@given(dates)
def test_appeal_due_is_exactly_5_working_days_after_receipt(received):
    due = d.appeal_decision_due(received)
    between = [received + dt.timedelta(days=n) for n in range(1, (due - received).days + 1)]
    assert sum(working(day) for day in between) == 5
    assert working(due)


@given(dates)
def test_appeal_due_within_a_fortnight_and_after_receipt(received):
    assert received < d.appeal_decision_due(received) <= received + dt.timedelta(days=14)


@given(dates, st.integers(min_value=0, max_value=60))
def test_appeal_window_is_28_days(decided, days_later):
    received = decided + dt.timedelta(days=days_later)
    assert d.is_appeal_late(decided, received) == (days_later > 28)


@pytest.mark.parametrize(
    "received, due",
    [
        # Christmas 2026: 25 Dec (Fri), Boxing Day Sat with its substitute Mon 28 Dec, New Year's Day Fri.
        (dt.date(2026, 12, 23), dt.date(2027, 1, 4)),
        (dt.date(2026, 12, 24), dt.date(2027, 1, 5)),
        (dt.date(2026, 12, 18), dt.date(2026, 12, 29)),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        (dt.date(2026, 4, 1), dt.date(2026, 4, 10)),
        (dt.date(2026, 4, 2), dt.date(2026, 4, 13)),
        # An ordinary week: Monday -> next Monday.
        (dt.date(2026, 6, 1), dt.date(2026, 6, 8)),
        # Received on a weekend: Saturday -> the following Friday.
        (dt.date(2026, 6, 6), dt.date(2026, 6, 12)),
    ],
)
def test_appeal_due_across_christmas_new_year_and_easter(received, due):
    assert d.appeal_decision_due(received) == due


def test_28_december_2026_is_a_substitute_bank_holiday():
    assert dt.date(2026, 12, 28) in ENG
    assert not d.is_working_day(dt.date(2026, 12, 28))
    assert all(
        not d.is_working_day(day)
        for day in (dt.date(2026, 12, 25), dt.date(2027, 1, 1), dt.date(2026, 4, 3), dt.date(2026, 4, 6))
    )


@given(dates, st.integers(min_value=0, max_value=24))
def test_add_months_keeps_the_day_or_clips_to_month_end(start, months):
    result = d.add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    assert result.day == start.day or (result.day < start.day and (result + dt.timedelta(days=1)).day == 1)


def test_add_months_clips_31_january():
    assert d.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert d.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert d.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


@given(dates, st.integers(min_value=0, max_value=500))
def test_review_date_accepted_only_between_3_and_12_months(start, offset):
    review = start + dt.timedelta(days=offset)
    earliest, latest = d.review_window(start)
    if earliest <= review <= latest:
        assert d.check_review_date(start, review) == review
    else:
        with pytest.raises(PolicyError, match="between 3 and 12 months"):
            d.check_review_date(start, review)


def test_review_window_edges():
    assert d.review_window(dt.date(2026, 11, 30)) == (dt.date(2027, 2, 28), dt.date(2027, 11, 30))


def test_appeal_window_starts_when_the_letter_is_sent():
    assert d.appeal_window_start(dt.date(2026, 3, 10), dt.date(2026, 3, 1)) == dt.date(2026, 3, 10)
    assert d.appeal_window_start(None, dt.date(2026, 3, 1)) == dt.date(2026, 3, 1)
    assert d.appeal_deadline(dt.date(2026, 3, 10)) == dt.date(2026, 4, 7)


# Issue 13 item 2: one appeal clock for every decision the customer is told about. 28 calendar
# days from the day they were informed (the letter's first sending, else the decision date when
# given in writing at once); a deadline on a weekend or bank holiday stays where it falls.
from core.enums import LetterType  # noqa: E402
from core.policy.appeals import appeal_clock  # noqa: E402
from core.policy.letters import letter_appeal_window_start  # noqa: E402

# (decision kind, the letter that tells the customer of it)
DECISION_KINDS = [
    ("informal stage", LetterType.INFORMAL_SUMMARY),
    ("warning", LetterType.WARNING),
    ("formal decision", LetterType.FORMAL),
    ("formal action (restriction)", LetterType.FORMAL),
    ("review continuing or varying a restriction", LetterType.REVIEW_OUTCOME),
    ("PVP marker", LetterType.PVP_NOTICE),
]
# (informed on, appeal by): across Christmas and New Year, and across Easter 2027 (Good Friday
# 26 March, Easter Monday 29 March).
SEASONS = [
    (dt.date(2026, 12, 4), dt.date(2027, 1, 1)),  # New Year's Day, a bank holiday: not moved
    (dt.date(2026, 11, 27), dt.date(2026, 12, 25)),  # Christmas Day: not moved
    (dt.date(2026, 12, 24), dt.date(2027, 1, 21)),
    (dt.date(2027, 2, 26), dt.date(2027, 3, 26)),  # Good Friday: not moved
    (dt.date(2027, 3, 1), dt.date(2027, 3, 29)),  # Easter Monday: not moved
    (dt.date(2027, 3, 26), dt.date(2027, 4, 23)),  # informed on Good Friday
]


@pytest.mark.parametrize("kind,letter", DECISION_KINDS)
@pytest.mark.parametrize("informed,appeal_by", SEASONS)
def test_appeal_by_is_28_calendar_days_from_the_letter_for_every_decision_kind(
    kind, letter, informed, appeal_by
):
    decided_on = informed - dt.timedelta(days=14)  # e.g. the 5 September conversation, letter 19 September
    clock = appeal_clock(decided_on, letter_sent_on=informed)
    assert clock.informed_on == informed and clock.appeal_by == appeal_by
    # The letter prints the same date: its first sending, and any later copy.
    assert d.appeal_deadline(letter_appeal_window_start(letter, None, informed)) == appeal_by
    assert (
        d.appeal_deadline(letter_appeal_window_start(letter, informed, informed + dt.timedelta(days=9)))
        == appeal_by
    )
    assert not clock.is_late(appeal_by) and clock.is_late(appeal_by + dt.timedelta(days=1))


@pytest.mark.parametrize("informed,appeal_by", SEASONS)
def test_a_decision_given_in_writing_at_once_runs_from_the_decision_date(informed, appeal_by):
    assert appeal_clock(informed).appeal_by == appeal_by


@pytest.mark.parametrize("informed,appeal_by", SEASONS)
def test_a_spoc_runs_from_its_start_when_later_than_the_dmos_decision(informed, appeal_by):
    assert appeal_clock(informed - dt.timedelta(days=10), takes_effect_on=informed).appeal_by == appeal_by
    assert appeal_clock(informed, takes_effect_on=informed - dt.timedelta(days=3)).appeal_by == appeal_by


def test_the_issue_13_example_an_informal_letter_of_19_september_runs_to_17_october():
    clock = appeal_clock(dt.date(2026, 9, 5), letter_sent_on=dt.date(2026, 9, 19))
    assert clock.appeal_by == dt.date(2026, 10, 17)
    assert not clock.is_late(dt.date(2026, 10, 10))
    assert clock.days_late(dt.date(2026, 10, 20)) == 3
