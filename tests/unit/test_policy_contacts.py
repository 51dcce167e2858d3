"""Clause 4.1: contact limited to a channel, days and times, or a number per week or month."""

import datetime as dt

from core.policy.contacts import ContactFact, ContactRule, check_contacts, rule_from, rule_problems

TUE = dt.date(2026, 11, 17)  # a Tuesday


def call(i: int, day: dt.date, hour: int = 10, channel: str = "phone", inbound: bool = True) -> ContactFact:
    return ContactFact(i, dt.datetime.combine(day, dt.time(hour, 30)), channel, inbound)


def test_third_call_in_a_week_is_outside_a_two_calls_a_week_restriction():
    rule = ContactRule(1, frozenset({"phone"}), max_contacts=2, period="week")
    verdicts = check_contacts(
        [rule], [call(1, TUE), call(2, TUE + dt.timedelta(days=1)), call(3, TUE + dt.timedelta(days=2))]
    )
    assert [v.outside for v in verdicts] == [False, False, True]
    assert verdicts[2].restriction_id == 1 and "contact 3 this week" in verdicts[2].reasons[0]


def test_the_count_starts_again_on_monday():
    rule = ContactRule(1, max_contacts=1, period="week")
    verdicts = check_contacts([rule], [call(1, TUE), call(2, TUE + dt.timedelta(days=6))])
    assert not any(v.outside for v in verdicts)


def test_monthly_limit_counts_the_calendar_month():
    rule = ContactRule(1, max_contacts=1, period="month")
    verdicts = check_contacts(
        [rule], [call(1, dt.date(2026, 11, 30)), call(2, dt.date(2026, 12, 1)), call(3, dt.date(2026, 12, 2))]
    )
    assert [v.outside for v in verdicts] == [False, False, True]


def test_telephone_only_tuesdays_ten_to_twelve():
    rule = ContactRule(1, frozenset({"phone"}), frozenset({1}), dt.time(10), dt.time(12))
    verdicts = check_contacts(
        [rule],
        [
            call(1, TUE),
            call(2, TUE, hour=14),
            call(3, TUE + dt.timedelta(days=1)),
            call(4, TUE, channel="email"),
        ],
    )
    by_id = {v.contact_id: v for v in verdicts}
    assert [by_id[i].outside for i in (1, 2, 3, 4)] == [False, True, True, True]
    assert by_id[4].reasons == ("channel not allowed (phone only, Tuesdays, 10:00-12:00)",)


def test_contacts_made_by_the_landlord_never_count_against_the_customer():
    rule = ContactRule(1, max_contacts=1)
    verdicts = check_contacts(
        [rule], [call(1, TUE, inbound=False), call(2, TUE, inbound=False), call(3, TUE)]
    )
    assert not any(v.outside for v in verdicts)


def test_a_restriction_applies_only_while_in_force():
    rule = ContactRule(1, max_contacts=1, starts_on=TUE, ends_on=TUE + dt.timedelta(days=1))
    before = call(1, TUE - dt.timedelta(days=1))
    verdicts = check_contacts([rule], [before, call(2, TUE), call(3, TUE + dt.timedelta(days=3))])
    assert not any(v.outside for v in verdicts)


def test_one_channel_restriction_details_become_a_rule():
    rule = rule_from(5, {"channel": "email"})
    assert rule is not None and rule.channels == {"email"}
    assert rule_from(6, {"adjustment": "calls read out"}) is None


def test_a_rule_needs_a_limit_and_sensible_times():
    assert rule_problems([], [], "", "", None, "week")
    assert rule_problems(["phone"], [], "12:00", "10:00", None, "week")
    assert rule_problems([], [], "", "", 0, "week")
    assert rule_problems([], [], "", "", 2, "fortnight")
    assert rule_problems(["phone"], [1], "10:00", "12:00", 2, "week") == []
