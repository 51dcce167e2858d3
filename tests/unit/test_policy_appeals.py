"""Clause 4.2: who decides an appeal, and never the officer who took the decision."""
import pytest

from core.enums import FormalActionType, Stage
from core.errors import PolicyError
from core.policy.appeals import AreaFact, PersonFact, alternatives, conflict_problem, route_appeal

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
