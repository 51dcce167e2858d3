"""Clause 4.1 stages and the escalation guards, as pure rules."""

import datetime as dt

import pytest

from core.enums import Behaviour, Channel, FormalActionType, ReviewOutcome, Stage, Vulnerability
from core.policy import stages as s
from core.policy.stages import ActionPlan, CaseAction, CaseFacts, EventFact, IncidentFact

D = dt.date


def inc(id_, day, counts=True, serious=False):
    return IncidentFact(id_, day, counts, serious)


def ev(id_, stage, day, evidence=(), overturned=False, review_due=None):
    return EventFact(id_, stage, day, frozenset(evidence), overturned, review_due)


INFORMAL = ev(1, Stage.INFORMAL, D(2026, 3, 5), evidence={1})
WARNING = ev(2, Stage.WARNING, D(2026, 4, 5), evidence={2}, review_due=D(2026, 7, 5))


def facts(stage, incidents=(), events=(), actions=(), **kw):
    return CaseFacts(stage, tuple(incidents), tuple(events), tuple(actions), **kw)


def allowed(verdicts):
    return {v.action for v in verdicts if v.allowed}


# ---- informal stage


def test_informal_stage_needs_an_incident_that_counts_as_evidence():
    v = s.check_informal(facts(Stage.NONE, [inc(1, D(2026, 3, 1), counts=False)]))
    assert not v.allowed and "hearsay" in v.problems[0]
    assert s.check_informal(facts(Stage.NONE, [inc(1, D(2026, 3, 1))])).allowed


def test_informal_stage_only_from_no_stage():
    v = s.check_informal(facts(Stage.WARNING, [inc(1, D(2026, 3, 1))]))
    assert v.problems == ("The informal stage is already behind this case (it is at the warning stage).",)


def test_informal_steps_each_named_when_missing():
    problems = s.informal_step_problems({"contact_made": True, "behaviour_set_out": True})
    assert len(problems) == 1
    for text in ("expected to change", "what action will follow", "root cause", "third party"):
        assert text in problems[0]
    assert s.informal_step_problems({k: True for k in s.INFORMAL_STEPS}) == []


# ---- warning stage


def test_warning_requires_informal_stage():
    v = s.check_warning(facts(Stage.NONE, [inc(1, D(2026, 3, 1))]))
    assert not v.allowed
    assert any("Record the informal stage first" in p for p in v.problems)


def test_warning_requires_a_later_counting_incident():
    v = s.check_warning(facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1))], [INFORMAL]))
    assert not v.allowed
    assert "since the informal stage on 5 March 2026" in v.problems[0]


def test_warning_ignores_hearsay_incidents():
    v = s.check_warning(
        facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1), counts=False)], [INFORMAL])
    )
    assert not v.allowed and "hearsay" in v.problems[0]


def test_warning_allowed_after_informal_and_later_incident():
    v = s.check_warning(facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1))], [INFORMAL]))
    assert v.allowed and not v.needs_skip_reason


def test_incident_before_the_informal_stage_is_not_later():
    v = s.check_warning(facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 3, 2))], [INFORMAL]))
    assert not v.allowed


def test_overturned_informal_stage_is_not_on_record():
    overturned = ev(1, Stage.INFORMAL, D(2026, 3, 5), {1}, overturned=True)
    v = s.check_warning(facts(Stage.NONE, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1))], [overturned]))
    assert not v.allowed


def test_violence_may_skip_the_informal_stage_only_with_a_reason():
    f = facts(Stage.NONE, [inc(1, D(2026, 3, 1), serious=True)])
    without = s.check_warning(f)
    assert not without.allowed and without.needs_skip_reason
    assert "Record the reason for skipping the informal stage" in without.problems[-1]
    with_reason = s.check_warning(f, skip_reason="Threatened to stab the officer.")
    assert with_reason.allowed and with_reason.needs_skip_reason


def test_hearsay_violence_does_not_allow_a_skip():
    f = facts(Stage.NONE, [inc(1, D(2026, 3, 1), counts=False, serious=True)])
    assert not s.check_warning(f, skip_reason="reason").allowed


def test_warning_refused_when_already_at_warning_or_formal():
    for stage in (Stage.WARNING, Stage.FORMAL):
        assert not s.check_warning(facts(stage, [inc(1, D(2026, 3, 1))], [INFORMAL])).allowed


def test_chosen_evidence_must_include_a_later_counting_incident():
    f = facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1))], [INFORMAL])
    assert not s.check_warning(f, evidence_ids=[1]).allowed
    assert s.check_warning(f, evidence_ids=[2]).allowed


# ---- formal stage


def test_formal_action_requires_a_warning():
    v = s.check_formal(facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1))], [INFORMAL]))
    assert not v.allowed
    assert "Record the warning stage (Fair Treatment Letter) first" in v.problems[-1]


def test_formal_action_from_no_stage_names_both_missing_stages():
    v = s.check_formal(facts(Stage.NONE, [inc(1, D(2026, 3, 1))]))
    assert "informal and warning stages" in v.problems[-1]


def test_formal_action_requires_a_later_incident_than_the_warning():
    f = facts(Stage.WARNING, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1))], [INFORMAL, WARNING])
    v = s.check_formal(f)
    assert not v.allowed and "since the warning on 5 April 2026" in v.problems[0]
    f2 = facts(
        Stage.WARNING,
        [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1)), inc(3, D(2026, 5, 1))],
        [INFORMAL, WARNING],
    )
    assert s.check_formal(f2).allowed


def test_harassment_may_skip_to_formal_with_a_reason():
    f = facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1), serious=True)], [INFORMAL])
    assert not s.check_formal(f).allowed
    assert s.check_formal(f, skip_reason="Sustained harassment of a named officer.").allowed


# Issue 13, invented rule dropped: "Each further formal action needs a new incident". At the formal
# stage a further proportionate action may rest on the evidence already on the case, with a
# recorded reason and the evidence named. (Replaces test_further_formal_actions_need_a_further_incident.)
def test_a_further_formal_action_may_rest_on_the_evidence_on_the_case_with_a_reason():
    formal = ev(3, Stage.FORMAL, D(2026, 5, 5), {3})
    base = [inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1)), inc(3, D(2026, 5, 1))]
    f = facts(Stage.FORMAL, base, [INFORMAL, WARNING, formal])
    without = s.check_formal(f, evidence_ids=[3])
    assert not without.allowed and "record the reason for a further action" in without.problems[0]
    unnamed = s.check_formal(f, skip_reason="The limits alone have not stopped the abuse.")
    assert not unnamed.allowed and "Name the incidents" in unnamed.problems[0]
    v = s.check_formal(f, skip_reason="The limits alone have not stopped the abuse.", evidence_ids=[2, 3])
    assert v.allowed and v.needs_skip_reason
    # A further incident needs no reason.
    assert s.check_formal(
        facts(Stage.FORMAL, base + [inc(4, D(2026, 6, 1))], [INFORMAL, WARNING, formal])
    ).allowed


# Issue 13, invented rule dropped: "Evidence used by one decision never counts again".
def test_an_incident_can_support_more_than_one_decision():
    f = facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1), serious=True)], [INFORMAL])
    v = s.check_formal(
        f,
        skip_reason="Threatened the officer with a knife; the warning stage would not protect staff.",
        evidence_ids=[1],
    )
    assert v.allowed
    # Further incidents since a decision still leave out that decision's own evidence.
    same_day = ev(1, Stage.INFORMAL, D(2026, 3, 1), evidence={1})
    assert (
        s.counting_incidents_since(facts(Stage.INFORMAL, [inc(1, D(2026, 3, 1))], [same_day]), D(2026, 3, 1))
        == []
    )


# Issue 13, invented rule dropped: stage-skipping limited to a fixed list of behaviour codes.
def test_another_serious_behaviour_may_skip_a_stage_with_a_recorded_reason():
    f = facts(Stage.NONE, [inc(1, D(2026, 3, 1))])
    without = s.check_warning(f)
    assert not without.allowed and without.needs_skip_reason
    assert "record why this behaviour is serious enough" in without.problems[-1]
    v = s.check_warning(f, skip_reason="Sent 300 emails in a day to one officer, including at home.")
    assert v.allowed and v.needs_skip_reason and "another serious behaviour" in v.note


def test_nothing_but_a_new_case_after_closure():
    f = facts(Stage.CLOSED, [inc(1, D(2026, 3, 1))])
    for v in (
        s.check_informal(f),
        s.check_warning(f),
        s.check_formal(f),
        s.check_review(f),
        s.check_close(f),
    ):
        assert v.problems == ("The case is closed: a new incident opens a new case.",)


def test_is_serious():
    assert s.is_serious(True, [])
    assert s.is_serious(False, [Behaviour.THREATENING_LANGUAGE])
    assert s.is_serious(False, [Behaviour.SOCIAL_MEDIA_ABUSE])
    assert not s.is_serious(False, [Behaviour.CONTACT_OVERLOAD, Behaviour.INFLAMMATORY_ALLEGATIONS])


# ---- underlying issues and adjustments (Equality Act 2010)


def test_underlying_issues_must_be_recorded_as_considered():
    problems = s.underlying_issue_problems(False, "", "", [])
    assert any("Equality Act 2010" in p for p in problems)
    assert any("Say which underlying issues" in p for p in problems)
    assert s.underlying_issue_problems(True, "Checked records; none.", "", []) == []


def test_recorded_vulnerability_needs_adjustments_recorded():
    problems = s.underlying_issue_problems(True, "Dyslexia noted.", "", [Vulnerability.LEARNING_DIFFICULTIES])
    assert problems == [
        "The customer has a recorded learning difficulties need: record the reasonable "
        "adjustments this action keeps (or why none are needed)."
    ]
    assert (
        s.underlying_issue_problems(
            True, "Dyslexia noted.", "Phone follow-up to every letter.", [Vulnerability.LEARNING_DIFFICULTIES]
        )
        == []
    )


START = D(2026, 5, 5)


NOV_5 = D(2026, 11, 5)


def plan(kind, terms="Terms", review=NOV_5, **kw):
    return ActionPlan(FormalActionType(kind), terms, review, **kw)


def test_written_only_restriction_refused_for_someone_who_may_not_write():
    p = plan("one_channel", channel=Channel.LETTER)
    problems = s.formal_action_problems([p], START, [Vulnerability.DISABILITY], False)
    assert len(problems) == 1 and "written-only restriction" in problems[0]
    assert "Record the reasonable adjustment" in problems[0]
    ok = plan("one_channel", channel=Channel.EMAIL, adjustment="Officer phones to go through each email.")
    assert s.formal_action_problems([ok], START, [Vulnerability.LANGUAGE], False) == []


def test_written_only_restriction_fine_without_a_writing_need():
    p = plan("one_channel", channel=Channel.LETTER)
    assert s.formal_action_problems([p], START, [Vulnerability.MENTAL_HEALTH], False) == []
    phone = plan("one_channel", channel=Channel.PHONE)
    assert s.formal_action_problems([phone], START, [Vulnerability.DISABILITY], False) == []


def test_one_channel_needs_the_channel():
    assert "choose the one channel" in s.formal_action_problems([plan("one_channel")], START, [], False)[0]


def test_any_combination_of_formal_actions_each_checked():
    plans = [
        plan("contact_limits"),
        plan("issue_limit"),
        plan("decline_without_evidence"),
        plan("other", terms="Meetings only at the area office"),
    ]
    assert s.formal_action_problems(plans, START, [], False) == []
    assert "Choose at least one formal action" in s.formal_action_problems([], START, [], False)[0]
    assert s.formal_action_problems([], START, [], False, spoc_requested=True) == []
    dup = s.formal_action_problems([plan("issue_limit"), plan("issue_limit")], START, [], False)
    assert "once per decision" in dup[0]


def test_other_action_needs_a_description_and_each_action_terms():
    problems = s.formal_action_problems(
        [plan("other", terms=" "), plan("issue_limit", terms="")], START, [], False
    )
    assert problems == [
        "Other proportionate action: describe the action.",
        "Only a number of issues considered per period: set out its terms.",
    ]


@pytest.mark.parametrize(
    "review, ok",
    [
        (D(2026, 8, 4), False),
        (D(2026, 8, 5), True),
        (D(2027, 5, 5), True),
        (D(2027, 5, 6), False),
        (None, False),
    ],
)
def test_formal_action_review_between_3_and_12_months(review, ok):
    problems = s.formal_action_problems([plan("contact_limits", review=review)], START, [], False)
    assert (problems == []) == ok


def test_police_and_legal_action_only_for_extreme_cases():
    for kind in ("police_referral", "legal_action"):
        problems = s.formal_action_problems([plan(kind)], START, [], False)
        assert "extreme cases" in problems[0]
        assert s.formal_action_problems([plan(kind)], START, [], True) == []


# ---- reviews


def test_warning_review_no_further_action_only_without_counting_incidents():
    ok = s.review_outcome_problems(
        "warning", ReviewOutcome.NO_FURTHER_ACTION, D(2026, 7, 5), None, 0, "No incidents."
    )
    assert ok == []
    refused = s.review_outcome_problems(
        "warning", ReviewOutcome.NO_FURTHER_ACTION, D(2026, 7, 5), None, 2, "x"
    )
    assert "2 further incident(s)" in refused[0]


def test_review_needs_evidence_considered():
    assert s.review_outcome_problems("formal_action", ReviewOutcome.LIFT, D(2026, 7, 5), None, 0, "") == [
        "Record the evidence considered at the review."
    ]


def test_continue_or_vary_needs_a_new_date_within_3_to_12_months():
    held = D(2026, 7, 5)
    assert (
        s.review_outcome_problems("formal_action", ReviewOutcome.CONTINUE, held, D(2026, 10, 5), 0, "e") == []
    )
    assert (
        "between 3 and 12 months"
        in s.review_outcome_problems("formal_action", ReviewOutcome.CONTINUE, held, D(2026, 9, 5), 0, "e")[0]
    )
    assert (
        "Set the next review date"
        in s.review_outcome_problems("warning", ReviewOutcome.CONTINUE, held, None, 0, "e")[0]
    )
    assert "Set out the varied terms." in s.review_outcome_problems(
        "formal_action", ReviewOutcome.VARY, held, D(2027, 1, 5), 0, "e"
    )


def test_restriction_review_outcomes_and_warning_outcomes_differ():
    assert s.review_outcome_problems("warning", ReviewOutcome.LIFT, D(2026, 7, 5), None, 0, "e")
    assert s.review_outcome_problems(
        "formal_action", ReviewOutcome.NO_FURTHER_ACTION, D(2026, 7, 5), None, 0, "e"
    )


def test_review_needs_something_to_review():
    assert not s.check_review(facts(Stage.INFORMAL, events=[INFORMAL])).allowed
    assert s.check_review(facts(Stage.WARNING, events=[INFORMAL, WARNING])).allowed
    action = s.ActionFact(9, FormalActionType.SPOC, D(2026, 5, 5), D(2026, 11, 5))
    assert s.check_review(facts(Stage.FORMAL, actions=[action])).allowed


# ---- closure and the next-actions summary


def test_close_refused_while_restrictions_are_active_or_an_appeal_waits():
    action = s.ActionFact(9, FormalActionType.ONE_CHANNEL, D(2026, 5, 5), D(2026, 11, 5))
    v = s.check_close(facts(Stage.FORMAL, actions=[action], undecided_appeals=1))
    assert "active restriction(s): contact limited to one channel" in v.problems[0]
    assert "1 undecided appeal(s)" in v.problems[0]
    assert s.check_close(facts(Stage.INFORMAL)).allowed


def test_next_actions_at_each_stage():
    i1, i2, i3 = inc(1, D(2026, 3, 1)), inc(2, D(2026, 4, 1)), inc(3, D(2026, 5, 1))
    # Issue 13: any behaviour may skip a stage with a recorded reason, so the skips are offered
    # (with the note that a reason must be recorded).
    assert allowed(s.next_actions(facts(Stage.NONE, [i1]))) == {
        CaseAction.INFORMAL,
        CaseAction.WARNING,
        CaseAction.FORMAL,
        CaseAction.CLOSE,
    }
    assert allowed(s.next_actions(facts(Stage.INFORMAL, [i1, i2], [INFORMAL]))) == {
        CaseAction.WARNING,
        CaseAction.FORMAL,
        CaseAction.APPEAL,
        CaseAction.CLOSE,
    }
    assert allowed(s.next_actions(facts(Stage.WARNING, [i1, i2, i3], [INFORMAL, WARNING]))) == {
        CaseAction.FORMAL,
        CaseAction.REVIEW,
        CaseAction.APPEAL,
        CaseAction.CLOSE,
    }


def test_next_actions_show_a_possible_skip_with_its_condition():
    verdicts = {v.action: v for v in s.next_actions(facts(Stage.NONE, [inc(1, D(2026, 3, 1), serious=True)]))}
    assert verdicts[CaseAction.WARNING].allowed
    assert "reason for skipping must be recorded" in verdicts[CaseAction.WARNING].note
    assert verdicts[CaseAction.FORMAL].allowed


# ---- one home for the rules the services and pages share


def test_serious_behaviour_on_record_needs_a_counting_serious_incident():
    assert s.serious_on_record(facts(Stage.NONE, [inc(1, D(2026, 3, 1), serious=True)]))
    assert not s.serious_on_record(facts(Stage.NONE, [inc(1, D(2026, 3, 1), counts=False, serious=True)]))
    assert not s.serious_on_record(facts(Stage.NONE, [inc(1, D(2026, 3, 1))]))


def test_incidents_during_a_restriction_count_from_its_start_to_its_end():
    incidents = [
        inc(1, D(2026, 5, 31)),
        inc(2, D(2026, 6, 1)),
        inc(3, D(2026, 6, 10), counts=False),
        inc(4, D(2026, 7, 1)),
        inc(5, D(2026, 8, 1)),
    ]
    assert [i.id for i in s.incidents_during(incidents, D(2026, 6, 1), D(2026, 7, 1))] == [2, 4]
    assert [i.id for i in s.incidents_during(incidents, D(2026, 6, 1))] == [2, 4, 5]


def test_the_warning_in_force_is_the_latest_standing_warning_at_the_warning_stage():
    later = ev(3, Stage.WARNING, D(2026, 5, 5), evidence={3})
    assert s.warning_in_force(facts(Stage.WARNING, events=[INFORMAL, WARNING, later])) == later
    overturned = ev(3, Stage.WARNING, D(2026, 5, 5), evidence={3}, overturned=True)
    assert s.warning_in_force(facts(Stage.WARNING, events=[INFORMAL, WARNING, overturned])) == WARNING
    assert s.warning_in_force(facts(Stage.FORMAL, events=[INFORMAL, WARNING])) is None


def test_only_active_restrictions_can_be_reviewed():
    active = s.ActionFact(1, FormalActionType.CONTACT_LIMITS, D(2026, 5, 1), D(2026, 11, 1))
    lifted = s.ActionFact(2, FormalActionType.ISSUE_LIMIT, D(2026, 5, 1), D(2026, 11, 1), active=False)
    assert s.reviewable_actions(facts(Stage.FORMAL, actions=[active, lifted])) == [active]


# ---- issue 13: the SPOC protocol, the remedies, closure and a case's history


def test_clause_5_a_spoc_is_requested_not_imposed_and_a_request_can_be_the_whole_decision():
    assert s.SPOC_ONLY_BY_REQUEST in s.formal_action_problems([plan("spoc")], START, [], False)
    assert s.formal_action_problems([], START, [], False, spoc_requested=True) == []


def test_clause_5_harassment_is_a_behaviour_that_may_justify_skipping_a_stage():
    assert s.is_serious(False, [Behaviour.HARASSMENT])


def test_clause_5_legal_remedies_need_their_court_dates_in_order():
    ok = ActionPlan(
        FormalActionType.INJUNCTION,
        "Exclusion zone",
        D(2026, 9, 5),
        proceedings_issued_on=D(2026, 5, 1),
        hearing_on=D(2026, 5, 3),
        order_on=D(2026, 5, 3),
    )
    assert s.court_date_problems(ok, START) == []
    missing = ActionPlan(FormalActionType.POSSESSION, "Ground 14", D(2026, 9, 5))
    assert "date proceedings were issued" in s.court_date_problems(missing, START)[0]
    backwards = ActionPlan(
        FormalActionType.DEMOTION,
        "Demotion",
        D(2026, 9, 5),
        proceedings_issued_on=D(2026, 5, 3),
        hearing_on=D(2026, 5, 1),
    )
    assert "hearing cannot be before" in s.court_date_problems(backwards, START)[0]
    assert s.court_date_problems(ActionPlan(FormalActionType.POLICE_REFERRAL, "Ref", None), START) == []
    assert FormalActionType.HOUSING_REGISTER_REMOVAL in s.EXTREME_ACTIONS


def test_clause_2_2_loose_ends_block_closure_unless_the_officer_records_why():
    open_ = facts(Stage.INFORMAL, events=[INFORMAL], loose_ends=("an open service referral",))
    refused = s.check_close(open_)
    assert not refused.allowed and "an open service referral" in refused.problems[0]
    assert s.check_close(open_, loose_end_reason="Repairs will finish it.").allowed
    assert s.stage_after_review_lift(0, Stage.FORMAL) == Stage.FORMAL


def test_a_new_case_may_start_at_the_stage_the_earlier_cases_justify_with_a_reason():
    from core.policy import history

    new = facts(Stage.NONE, incidents=[inc(7, D(2026, 5, 1))], earlier_stage=Stage.WARNING)
    assert history.check_on_history(new, Stage.FORMAL, "") is None
    assert history.check_on_history(new, Stage.FORMAL, "Warned last year for the same.").allowed
    first_time = facts(Stage.NONE, incidents=[inc(7, D(2026, 5, 1))], earlier_stage=Stage.INFORMAL)
    assert not history.check_on_history(first_time, Stage.FORMAL, "Reason").allowed
    assert history.check_on_history(first_time, Stage.WARNING, "Reason").allowed
