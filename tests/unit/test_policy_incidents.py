"""What makes an incident record acceptable (clauses 3, 4.1, 4.2, 6), as pure rules."""

from core.enums import BEHAVIOURS_BY_CATEGORY, Behaviour, Category, EvidenceSource
from core.policy.incidents import (
    behaviour_problems,
    counts_as_evidence,
    evidence_problems,
    violence_problems,
)


def test_each_category_accepts_its_own_behaviours():
    for category, behaviours in BEHAVIOURS_BY_CATEGORY.items():
        assert behaviour_problems(category, list(behaviours)) == []


def test_a_behaviour_from_another_category_is_refused_by_name():
    problems = behaviour_problems(Category.AGGRESSIVE, [Behaviour.COVERT_RECORDING])
    assert len(problems) == 1
    assert "Covert recording" in problems[0] and "Aggressive" in problems[0]


def test_at_least_one_behaviour_is_needed():
    assert behaviour_problems(Category.UNREASONABLE_DEMANDS, []) == [
        "Choose at least one behaviour for the category."
    ]


def test_a_trusted_third_party_must_be_named():
    assert evidence_problems(EvidenceSource.TRUSTED_THIRD_PARTY, "")
    assert evidence_problems(EvidenceSource.TRUSTED_THIRD_PARTY, "Kim Ward (warden)") == []
    assert evidence_problems(EvidenceSource.FIRST_HAND, "") == []


def test_violence_needs_a_police_reference_or_a_reason_why_not():
    assert violence_problems(True, "", "")
    assert violence_problems(True, "NP-12345", "") == []
    assert violence_problems(True, "", "Officer did not want police involvement") == []
    assert violence_problems(False, "", "") == []


def test_hearsay_never_counts_as_evidence():
    assert not counts_as_evidence(EvidenceSource.HEARSAY)
    assert counts_as_evidence(EvidenceSource.FIRST_HAND)
    assert counts_as_evidence(EvidenceSource.TRUSTED_THIRD_PARTY)
