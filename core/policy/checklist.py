"""The clause 2.3 checklist for one case, computed from plain values (no database, no clock).

Each item is pass or missing, and a missing item says exactly what is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.enums import FormalActionType, Stage

# The previous stage each stage normally follows; anything else is a skipped stage.
EXPECTED_FROM = {Stage.INFORMAL: Stage.NONE, Stage.WARNING: Stage.INFORMAL, Stage.FORMAL: Stage.WARNING}


@dataclass(frozen=True)
class DecisionFact:
    """A decision (informal, warning or formal stage) as recorded."""

    id: int
    from_stage: Stage
    to_stage: Stage
    decided_on: dt.date
    reason: str = ""
    skip_reason: str = ""
    counting_evidence: int = 0  # linked incidents that are not hearsay
    underlying_issues_considered: bool = False
    letter_sent: bool = False  # a decision letter (with the appeal route) was sent
    review_due: dt.date | None = None
    overturned: bool = False
    reviewed: bool = False  # a warning whose review is done


@dataclass(frozen=True)
class RestrictionFact:
    id: int
    kind: FormalActionType
    terms: str
    review_due: dt.date
    active: bool = True


@dataclass(frozen=True)
class ReferralFact:
    id: int
    description: str
    service_area: str
    resolved: bool


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    passed: bool
    missing: tuple[str, ...] = ()
    detail: str = ""

    @property
    def status(self) -> str:
        return "pass" if self.passed else "missing"


LABELS = {
    "policy_followed": "We followed our own policy",
    "proportionate": "Fair and proportionate (a reason for each action)",
    "evidence": "Evidence of the behaviour and of the decision making",
    "warned": "The customer was warned before formal action",
    "appeal_offered": "The customer was offered an appeal against each decision",
    "reviewed": "Changes reviewed within the set period",
    "problem_resolved": "The underlying service problem is resolved",
    "underlying_issues": "Underlying issues (disability, health, language, vulnerabilities) considered",
}


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _name(d: DecisionFact) -> str:
    return f"the {d.to_stage.label.lower()} decision of {_fmt(d.decided_on)}"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _item(key: str, missing: list[str], detail: str = "") -> ChecklistItem:
    return ChecklistItem(key, LABELS[key], not missing, tuple(missing), detail)


def _skipped_without_reason(live: list[DecisionFact]) -> list[str]:
    """Principle "policy followed": decisions that skipped a stage without a recorded reason."""
    return [
        f"{_upper_first(_name(d))} skipped the {EXPECTED_FROM[d.to_stage].label.lower()} without a recorded reason."
        for d in live
        if d.from_stage != EXPECTED_FROM[d.to_stage]
        and d.from_stage != d.to_stage
        and not d.skip_reason.strip()
    ]


def _warned(live: list[DecisionFact]) -> tuple[list[str], str]:
    """Principle "warned before formal action": problems, and the detail shown when there are none."""
    warned: list[str] = []
    warned_detail = "No formal action yet." if not any(d.to_stage == Stage.FORMAL for d in live) else ""
    for d in (d for d in live if d.to_stage == Stage.FORMAL):
        earlier_warning = any(
            w.to_stage == Stage.WARNING and (w.decided_on, w.id) <= (d.decided_on, d.id) for w in live
        )
        if earlier_warning:
            continue
        if d.skip_reason.strip():
            warned_detail = "Warning skipped for violence, threats or harassment, with the reason recorded."
            continue
        warned.append(f"No warning was given before {_name(d)}.")
    return warned, warned_detail


def _reviewed(
    restrictions: list[RestrictionFact], today: dt.date, warning_review_due: dt.date | None, stage: Stage
) -> list[str]:
    """Principle "kept under review": restrictions, and a warning, past their review date."""
    reviewed = [
        f"The {r.kind.label.lower()} restriction was due for review on {_fmt(r.review_due)}."
        for r in restrictions
        if r.active and r.review_due < today
    ]
    if stage == Stage.WARNING and warning_review_due and warning_review_due < today:
        reviewed.append(f"The warning was due for review on {_fmt(warning_review_due)}.")
    return reviewed


def case_checklist(
    decisions: list[DecisionFact],
    restrictions: list[RestrictionFact],
    referrals: list[ReferralFact],
    today: dt.date,
    warning_review_due: dt.date | None = None,
    stage: Stage = Stage.NONE,
) -> list[ChecklistItem]:
    """The eight clause 2.3 principles, in the policy's order."""
    live = sorted(
        (d for d in decisions if not d.overturned and d.to_stage in EXPECTED_FROM),
        key=lambda d: (d.decided_on, d.id),
    )

    policy = _skipped_without_reason(live)
    proportionate = [f"No reason recorded for {_name(d)}." for d in live if not d.reason.strip()]
    proportionate += [
        f"No terms recorded for the {r.kind.label.lower()} restriction."
        for r in restrictions
        if r.active and not r.terms.strip()
    ]

    evidence = [
        f"No incident counting as evidence is linked to {_name(d)} (hearsay does not count)."
        for d in live
        if d.counting_evidence == 0
    ]

    warned, warned_detail = _warned(live)
    appeal = [
        f"No decision letter with the appeal route has been sent for {_name(d)}."
        for d in live
        if not d.letter_sent
    ]

    reviewed = _reviewed(restrictions, today, warning_review_due, stage)
    resolved = [
        f"Service referral to {r.service_area} still open: {r.description}"
        for r in referrals
        if not r.resolved
    ]

    underlying = [
        f"Underlying issues and reasonable adjustments were not recorded as considered for {_name(d)}."
        for d in live
        if d.to_stage in (Stage.WARNING, Stage.FORMAL) and not d.underlying_issues_considered
    ]

    return [
        _item("policy_followed", policy),
        _item("proportionate", proportionate),
        _item("evidence", evidence),
        _item("warned", warned, warned_detail),
        _item("appeal_offered", appeal),
        _item("reviewed", reviewed),
        _item("problem_resolved", resolved),
        _item("underlying_issues", underlying),
    ]


def failing(items: list[ChecklistItem]) -> list[ChecklistItem]:
    return [i for i in items if not i.passed]
