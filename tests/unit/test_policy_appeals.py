"""Clause 4.2: who decides an appeal, and never the officer who took the decision."""

import datetime as dt

import pytest

from core.enums import FormalActionType, Stage
from core.errors import PolicyError
from core.policy.appeals import (
    AreaFact,
    DecisionMaker,
    PersonFact,
    alternatives,
    choose_decision_maker,
    conflict_problem,
    review_is_appealable,
    route_appeal,
    route_spoc_appeal,
    route_subject,
    spoc_appeal_window_start,
    with_spoc_appeals,
)
from core.policy.stages import CaseAction, Verdict

HOUSING = AreaFact(1, "Housing Management", False, 105)
REPAIRS = AreaFact(2, "Repairs and Maintenance", False, 106)
ICT = AreaFact(5, "Corporate Service and ICT", True, 109)
AREAS = [HOUSING, REPAIRS, ICT]
ADS = [PersonFact(105, "Helen Marsh"), PersonFact(106, "Colin Baptiste"), PersonFact(109, "David Lloyd")]


@pytest.mark.parametrize("stage", [Stage.INFORMAL, Stage.WARNING])
def test_informal_and_warning_appeals_go_to_the_service_area_ad(stage):
    assert route_appeal(stage, None, REPAIRS, AREAS).decision_maker_id == 106


def test_spoc_appeals_go_to_the_ad_for_corporate_service_and_ict():
    route = route_appeal(Stage.FORMAL, FormalActionType.SPOC, HOUSING, AREAS)
    assert route.decision_maker_id == 109
    assert "Corporate Service and ICT" in route.rule


@pytest.mark.parametrize("kind", [k for k in FormalActionType if k != FormalActionType.SPOC])
def test_other_formal_actions_go_to_the_service_area_ad(kind):
    assert route_appeal(Stage.FORMAL, kind, HOUSING, AREAS).decision_maker_id == 105


def test_formal_decision_as_a_whole_goes_to_the_service_area_ad():
    assert route_appeal(Stage.FORMAL, None, REPAIRS, AREAS).decision_maker_id == 106


def test_missing_ad_is_a_clear_refusal():
    with pytest.raises(PolicyError, match="No Assistant Director is set for Housing Management"):
        route_appeal(Stage.WARNING, None, AreaFact(1, "Housing Management", False, None), AREAS)
    with pytest.raises(PolicyError, match="Corporate Service and ICT"):
        route_appeal(Stage.FORMAL, FormalActionType.SPOC, HOUSING, [HOUSING])


def test_decision_maker_must_not_be_the_officer_who_decided():
    problem = conflict_problem(105, 105, ADS)
    assert problem.startswith("The appeal cannot be decided by the officer who took the decision")
    assert "Colin Baptiste, David Lloyd" in problem
    assert conflict_problem(105, 42, ADS) is None


def test_alternatives_exclude_the_decision_taker():
    assert [p.id for p in alternatives(106, ADS)] == [105, 109]


# --- appeals against a SPOC on the register (subject "spoc_entry", decided by the DMO)


@pytest.mark.parametrize("case_area", [HOUSING, REPAIRS, ICT])
def test_spoc_register_appeals_go_to_the_ad_for_corporate_service_and_ict(case_area):
    route = route_subject("spoc_entry", None, None, case_area, AREAS)
    assert route.decision_maker_id == 109 and route.area_name == "Corporate Service and ICT"
    assert route == route_spoc_appeal(AREAS)


def test_spoc_register_appeal_with_no_ict_ad_is_a_clear_refusal():
    with pytest.raises(PolicyError, match="Corporate Service and ICT, and none is set up"):
        route_subject(
            "spoc_entry", None, None, HOUSING, [HOUSING, AreaFact(5, "Corporate Service and ICT", True, None)]
        )


def test_route_subject_keeps_stage_and_formal_action_routing():
    assert route_subject("stage_event", Stage.WARNING, None, REPAIRS, AREAS).decision_maker_id == 106
    assert (
        route_subject("formal_action", Stage.FORMAL, FormalActionType.SPOC, HOUSING, AREAS).decision_maker_id
        == 109
    )
    assert (
        route_subject(
            "formal_action", Stage.FORMAL, FormalActionType.ONE_CHANNEL, HOUSING, AREAS
        ).decision_maker_id
        == 105
    )


def test_unknown_subject_is_refused():
    with pytest.raises(PolicyError, match="Choose the decision, formal action, review, SPOC or PVP marker"):
        route_subject("customer", None, None, HOUSING, AREAS)


# Issue 13 item 3: the PVP notice's challenge route and review outcomes can be appealed.
def test_pvp_challenge_goes_to_the_service_areas_assistant_director():
    route = route_subject("pvp_entry", None, None, REPAIRS, AREAS)
    assert route.decision_maker_id == 106
    assert "Health and Safety" in route.rule


def test_review_outcome_appeal_goes_to_the_service_area_unless_it_is_about_a_spoc():
    assert (
        route_subject("review", None, FormalActionType.CONTACT_LIMITS, HOUSING, AREAS).decision_maker_id
        == 105
    )
    assert (
        route_subject(
            "review", None, FormalActionType.SPOC, HOUSING, AREAS, about_spoc=True
        ).decision_maker_id
        == 109
    )


def test_a_formal_decision_with_a_spoc_goes_to_ict_whichever_way_it_is_entered():
    assert (
        route_subject("stage_event", Stage.FORMAL, None, HOUSING, AREAS, about_spoc=True).decision_maker_id
        == 109
    )
    assert route_subject("stage_event", Stage.FORMAL, None, HOUSING, AREAS).decision_maker_id == 105


def test_only_continued_or_varied_reviews_are_appealable():
    assert review_is_appealable("continue") and review_is_appealable("vary")
    assert not review_is_appealable("lift") and not review_is_appealable("no_further_action")


# Issue 13 item 4: the decision maker is chosen by the rule, not by hand.
HOUSING_ROUTE = route_subject("stage_event", Stage.WARNING, None, HOUSING, AREAS)


def test_the_rules_decision_maker_decides_when_nobody_conflicted():
    assert choose_decision_maker(HOUSING_ROUTE, None, frozenset({1}), ADS) == DecisionMaker(105)
    assert choose_decision_maker(HOUSING_ROUTE, 105, frozenset({1}), ADS) == DecisionMaker(105)


def test_routing_away_is_refused_when_the_usual_decider_took_no_part():
    with pytest.raises(PolicyError, match="another may decide only when they took part"):
        choose_decision_maker(HOUSING_ROUTE, 109, frozenset({1}), ADS)


def test_when_the_usual_decider_took_part_another_ad_decides_and_the_conflict_is_recorded():
    chosen = choose_decision_maker(HOUSING_ROUTE, 106, frozenset({105}), ADS)
    assert chosen.decision_maker_id == 106
    assert "Helen Marsh took part in the decision" in chosen.conflict
    with pytest.raises(PolicyError, match="cannot be decided by the officer who took the decision"):
        choose_decision_maker(HOUSING_ROUTE, None, frozenset({105}), ADS)
    with pytest.raises(PolicyError, match="active Assistant Director"):
        choose_decision_maker(HOUSING_ROUTE, 42, frozenset({105}), ADS)


def test_spoc_appeal_window_runs_from_the_start_never_before_the_decision():
    assert spoc_appeal_window_start(dt.date(2026, 11, 20), dt.date(2026, 12, 1)) == dt.date(2026, 12, 1)
    assert spoc_appeal_window_start(dt.date(2026, 11, 20), dt.date(2026, 11, 20)) == dt.date(2026, 11, 20)
    assert spoc_appeal_window_start(dt.date(2026, 11, 20), dt.date(2026, 11, 1)) == dt.date(2026, 11, 20)


def test_dmo_who_approved_the_spoc_cannot_decide_its_appeal():
    assert conflict_problem(109, 109, ADS).startswith("The appeal cannot be decided")
    assert conflict_problem(109, 4, ADS) is None  # the usual case: the DMO is not an AD


def test_an_active_spoc_makes_appeal_allowed():
    refused = [
        Verdict(CaseAction.APPEAL, ("There is no decision on this case to appeal against yet.",)),
        Verdict(CaseAction.CLOSE, ("Wait.",)),
    ]
    assert with_spoc_appeals(refused, 0) == refused
    opened = with_spoc_appeals(refused, 1)
    assert opened[0].allowed and opened[0].action == CaseAction.APPEAL
    assert opened[1] == refused[1]


def test_appealable_subjects_are_standing_decisions_active_restrictions_and_active_spocs():
    from core.enums import SubjectType
    from core.policy.appeals import appealable_subjects
    from core.policy.stages import ActionFact, CaseFacts, EventFact

    informal = EventFact(1, Stage.INFORMAL, dt.date(2026, 3, 5))
    overturned = EventFact(2, Stage.WARNING, dt.date(2026, 4, 5), overturned=True)
    closed = EventFact(3, Stage.CLOSED, dt.date(2026, 6, 5))
    active = ActionFact(7, FormalActionType.CONTACT_LIMITS, dt.date(2026, 5, 1), dt.date(2026, 11, 1))
    lifted = ActionFact(
        8, FormalActionType.ISSUE_LIMIT, dt.date(2026, 5, 1), dt.date(2026, 11, 1), active=False
    )
    facts = CaseFacts(Stage.FORMAL, (), (informal, overturned, closed), (active, lifted))
    assert appealable_subjects(facts, [11]) == [
        (SubjectType.STAGE_EVENT, 1),
        (SubjectType.FORMAL_ACTION, 7),
        (SubjectType.SPOC_ENTRY, 11),
    ]
