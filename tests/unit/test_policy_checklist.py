"""Clause 2.3: the eight principles every case must be able to show."""

import datetime as dt

from core.enums import FormalActionType, Stage
from core.policy.checklist import DecisionFact, ReferralFact, RestrictionFact, case_checklist, failing

D = dt.date
TODAY = D(2026, 11, 20)


def decision(id_, frm, to, day, **kw):
    values = dict(reason="Reason", counting_evidence=1, underlying_issues_considered=True, letter_sent=True)
    values.update(kw)
    return DecisionFact(id_, frm, to, day, **values)


GOOD = [
    decision(1, Stage.NONE, Stage.INFORMAL, D(2026, 3, 5)),
    decision(2, Stage.INFORMAL, Stage.WARNING, D(2026, 4, 5)),
    decision(3, Stage.WARNING, Stage.FORMAL, D(2026, 5, 5)),
]
RESTRICTION = RestrictionFact(1, FormalActionType.CONTACT_LIMITS, "Two calls a week", D(2027, 1, 5))


def items(decisions=GOOD, restrictions=(RESTRICTION,), referrals=(), **kw):
    return {
        i.key: i for i in case_checklist(list(decisions), list(restrictions), list(referrals), TODAY, **kw)
    }


def test_a_well_run_case_passes_every_item():
    result = items()
    assert list(result) == [
        "policy_followed",
        "proportionate",
        "evidence",
        "warned",
        "appeal_offered",
        "reviewed",
        "problem_resolved",
        "underlying_issues",
    ]
    assert all(i.passed and i.status == "pass" for i in result.values())
    assert failing(list(result.values())) == []


def test_skipped_stage_without_reason_fails_policy_followed():
    skipped = [GOOD[0], decision(3, Stage.INFORMAL, Stage.FORMAL, D(2026, 5, 5))]
    result = items(skipped)
    assert result["policy_followed"].missing == (
        "The formal stage decision of 5 May 2026 skipped the warning stage without a recorded reason.",
    )
    assert result["warned"].missing == (
        "No warning was given before the formal stage decision of 5 May 2026.",
    )
    with_reason = items(
        [GOOD[0], decision(3, Stage.INFORMAL, Stage.FORMAL, D(2026, 5, 5), skip_reason="Assault")]
    )
    assert with_reason["policy_followed"].passed and with_reason["warned"].passed
    assert "skipped" in with_reason["warned"].detail


def test_missing_reason_or_terms_fails_proportionate():
    result = items(
        [decision(1, Stage.NONE, Stage.INFORMAL, D(2026, 3, 5), reason=" ")],
        [RestrictionFact(1, FormalActionType.SPOC, "", D(2027, 1, 5))],
    )
    assert result["proportionate"].status == "missing"
    assert len(result["proportionate"].missing) == 2


def test_decision_without_counting_evidence_fails_evidence():
    result = items([decision(1, Stage.NONE, Stage.INFORMAL, D(2026, 3, 5), counting_evidence=0)])
    assert "hearsay does not count" in result["evidence"].missing[0]


def test_appeal_offered_needs_a_sent_decision_letter():
    result = items([decision(1, Stage.NONE, Stage.INFORMAL, D(2026, 3, 5), letter_sent=False)])
    assert result["appeal_offered"].missing == (
        "No decision letter with the appeal route has been sent for the informal stage decision of 5 March 2026.",
    )


def test_restriction_past_review_date_fails_reviewed():
    overdue = RestrictionFact(1, FormalActionType.ONE_CHANNEL, "Email only", D(2026, 11, 19))
    assert items(restrictions=[overdue])["reviewed"].missing == (
        "The contact limited to one channel restriction was due for review on 19 November 2026.",
    )
    lifted = RestrictionFact(1, FormalActionType.ONE_CHANNEL, "Email only", D(2026, 11, 19), active=False)
    assert items(restrictions=[lifted])["reviewed"].passed


def test_warning_past_review_date_fails_reviewed():
    result = items(GOOD[:2], (), warning_review_due=D(2026, 11, 1), stage=Stage.WARNING)
    assert result["reviewed"].missing == ("The warning was due for review on 1 November 2026.",)
    assert items(GOOD[:2], (), warning_review_due=TODAY, stage=Stage.WARNING)["reviewed"].passed


def test_open_service_referral_fails_problem_resolved():
    result = items(
        referrals=[
            ReferralFact(1, "Fence repair outstanding 18 months", "Repairs and Maintenance", False),
            ReferralFact(2, "Done", "Repairs and Maintenance", True),
        ]
    )
    assert result["problem_resolved"].missing == (
        "Service referral to Repairs and Maintenance still open: Fence repair outstanding 18 months",
    )


def test_underlying_issues_needed_for_warning_and_formal_decisions():
    result = items(
        [
            GOOD[0],
            decision(2, Stage.INFORMAL, Stage.WARNING, D(2026, 4, 5), underlying_issues_considered=False),
        ],
        (),
    )
    assert len(result["underlying_issues"].missing) == 1
    assert "warning stage decision of 5 April 2026" in result["underlying_issues"].missing[0]


def test_overturned_decisions_are_not_judged():
    result = items([decision(1, Stage.NONE, Stage.INFORMAL, D(2026, 3, 5), reason="", overturned=True)], ())
    assert all(i.passed for i in result.values())


def test_no_formal_action_yet_passes_warned_with_a_note():
    result = items(GOOD[:1], ())
    assert result["warned"].passed and result["warned"].detail == "No formal action yet."
