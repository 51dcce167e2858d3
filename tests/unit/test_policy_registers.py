"""The registers' rules that the SPOC and PVP pages used to hold (issue 12): default review
dates, the outcomes a review can record, which outcomes end an entry, and the 30-day window."""

import datetime as dt

from core.enums import ReviewOutcome
from core.policy import registers as rules
from core.policy.deadlines import check_review_date

START = dt.date(2026, 11, 30)


def test_the_spoc_form_offers_a_review_six_months_on_which_the_policy_accepts():
    assert rules.default_spoc_review_due(START) == dt.date(2027, 5, 30)
    assert check_review_date(START, rules.default_spoc_review_due(START))


def test_the_pvp_form_offers_the_latest_review_the_policy_allows():
    assert rules.default_pvp_review_due(START) == dt.date(2027, 11, 30)
    assert rules.check_pvp_review_date(START, rules.default_pvp_review_due(START))


def test_lifting_or_no_further_action_ends_an_entry_continuing_or_varying_does_not():
    assert rules.review_ends_entry(ReviewOutcome.LIFT)
    assert rules.review_ends_entry(ReviewOutcome.NO_FURTHER_ACTION)
    assert not rules.review_ends_entry(ReviewOutcome.CONTINUE)
    assert not rules.review_ends_entry(ReviewOutcome.VARY)


def test_a_register_review_can_continue_vary_or_lift():
    for outcomes in (rules.SPOC_REVIEW_OUTCOMES, rules.PVP_REVIEW_OUTCOMES):
        assert set(outcomes) == {ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT}


def test_due_for_review_means_within_the_next_30_days():
    today = dt.date(2026, 12, 1)
    assert rules.due_soon_until(today) == dt.date(2026, 12, 31)
    assert rules.review_state(dt.date(2026, 12, 31), today) == rules.DUE_SOON
    assert rules.review_state(dt.date(2027, 1, 1), today) == rules.IN_DATE
    assert rules.review_state(dt.date(2026, 11, 30), today) == rules.OVERDUE


def test_the_customer_notice_reads_as_told_or_not_told_with_the_date_to_reconsider():
    assert rules.customer_notice_text(dt.date(2026, 12, 2), "", None) == "Told in writing 02 Dec 2026"
    assert (
        rules.customer_notice_text(None, "Risk to the officer.", dt.date(2027, 1, 5))
        == "Not told; reconsider by 05 Jan 2027"
    )
    assert rules.customer_notice_text(None, "", None) == ""
