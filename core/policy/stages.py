"""The policy's stage workflow (clause 4.1) and its escalation guards, as pure functions.

Plain values in, plain values out: services turn rows into the `*Fact` records below and ask
what the policy allows. Every refusal is a sentence a team leader can act on.

Stages: no stage yet -> informal -> warning -> formal -> closed.
- A warning needs an informal stage on record and a later incident that counts as evidence.
- A formal action needs a warning on record and a later counting incident; at the formal stage a
  further proportionate action may rest on the evidence already on the case, with a recorded reason.
- An incident can support more than one decision; each decision names its evidence.
- Violence, threats or harassment may skip a stage with a recorded reason; another serious
  behaviour may too, with a recorded reason (the decision records who decided).
- Before a warning or formal action, underlying issues and adjustments (Equality Act) are considered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.enums import (
    Behaviour,
    Channel,
    FormalActionType,
    ReviewOutcome,
    Stage,
    SubjectType,
    Vulnerability,
)
from core.policy.case_facts import (  # noqa: F401  (re-exported: their home was here)
    ActionFact,
    CaseAction,
    CaseFacts,
    EventFact,
    IncidentFact,
    Verdict,
    _fmt,
    _later_evidence,
    counting_incidents_since,
    incidents_during,
    live_events,
    reviewable_actions,
    serious_on_record,
    used_evidence,
    warning_in_force,
)
from core.policy.deadlines import review_window
from core.policy.decision_records import (  # noqa: F401  (re-exported: their home was here)
    INFORMAL_STEPS,
    informal_step_problems,
    underlying_issue_problems,
)
from core.policy.remedies import (  # noqa: F401  (re-exported: the remedies' rules live there)
    EXTREME_ACTIONS,
    LEGAL_REMEDIES,
    SPOC_ONLY_BY_REQUEST,
    STEPS_ABOUT_CUSTOMER,
    ActionPlan,
    court_date_problems,
    loose_ends,
)

# Behaviours that allow a stage to be skipped (clause 4.1: "physical violence, threats or harassment").
SKIP_BEHAVIOURS = frozenset(
    {
        Behaviour.PHYSICAL_VIOLENCE,
        Behaviour.VIOLENCE_TO_PROPERTY,
        Behaviour.THREATENING_LANGUAGE,
        Behaviour.HARASSMENT,
        Behaviour.DISCRIMINATORY_ABUSE,
        Behaviour.SOCIAL_MEDIA_ABUSE,
    }
)
# Recorded needs that may affect a customer's ability to communicate in writing.
WRITING_VULNERABILITIES = frozenset(
    {Vulnerability.DISABILITY, Vulnerability.LEARNING_DIFFICULTIES, Vulnerability.LANGUAGE}
)
WRITTEN_CHANNELS = frozenset({Channel.LETTER, Channel.EMAIL})
DECISION_STAGES = (Stage.INFORMAL, Stage.WARNING, Stage.FORMAL)

# A warning review: no further action or continue. A restriction: lift, vary or continue.
REVIEW_OUTCOMES: dict[SubjectType, tuple[ReviewOutcome, ...]] = {
    SubjectType.WARNING: (ReviewOutcome.NO_FURTHER_ACTION, ReviewOutcome.CONTINUE),
    SubjectType.FORMAL_ACTION: (ReviewOutcome.LIFT, ReviewOutcome.VARY, ReviewOutcome.CONTINUE),
}


def is_serious(violence_or_threat: bool, behaviours: Iterable[Behaviour]) -> bool:
    """Violence, threats or harassment: the cases where a stage may be skipped with a reason."""
    return bool(violence_or_threat) or any(b in SKIP_BEHAVIOURS for b in behaviours)


def _closed(facts: CaseFacts, action: CaseAction) -> Verdict | None:
    if facts.stage == Stage.CLOSED:
        return Verdict(action, ("The case is closed: a new incident opens a new case.",))
    return None


def check_informal(facts: CaseFacts, evidence_ids: Iterable[int] | None = None) -> Verdict:
    if v := _closed(facts, CaseAction.INFORMAL):
        return v
    problems: list[str] = []
    if facts.stage != Stage.NONE:
        problems.append(
            f"The informal stage is already behind this case (it is at the {facts.stage.label.lower()})."
        )
    else:
        problems += _later_evidence(facts, None, evidence_ids, "")
    return Verdict(CaseAction.INFORMAL, tuple(problems))


def _skip_verdict(
    action: CaseAction, facts: CaseFacts, base_problems: list[str], skip_reason: str, skipped: str
) -> Verdict:
    """A stage is missing (clause 4.1: each case on its merits). Violence, threats or harassment
    always qualify to skip it, with a recorded reason; another serious behaviour may, with a
    recorded reason saying why (the decision records who decided)."""
    serious = serious_on_record(facts)
    if (skip_reason or "").strip():
        why = (
            "because of violence, threats or harassment"
            if serious
            else "for another serious behaviour, with the reason saying why"
        )
        return Verdict(
            action, tuple(base_problems), needs_skip_reason=True, note=f"Skipping the {skipped} {why}."
        )
    if serious:
        return Verdict(
            action,
            tuple(base_problems)
            + (
                f"Record the reason for skipping the {skipped}: violence, threats or harassment are on "
                "record, so a stage may be skipped only with a recorded reason.",
            ),
            needs_skip_reason=True,
        )
    return Verdict(
        action,
        tuple(base_problems)
        + (
            f"Record the {skipped} first, or record why this behaviour is serious enough to skip it "
            "(violence, threats and harassment always qualify).",
        ),
        needs_skip_reason=True,
    )


def _further_formal(
    facts: CaseFacts, last: EventFact, reason: str, evidence_ids: Iterable[int] | None
) -> Verdict:
    """At the formal stage a further proportionate action may follow a further incident, or rest
    on the evidence already on the case with a recorded reason, naming that evidence."""
    if not _later_evidence(facts, last.decided_on, evidence_ids, ""):
        return Verdict(CaseAction.FORMAL)
    if not (reason or "").strip():
        return Verdict(
            CaseAction.FORMAL,
            (
                f"No further incident is recorded since the last formal action on {_fmt(last.decided_on)}: "
                "record the reason for a further action on the evidence already on the case.",
            ),
            needs_skip_reason=True,
            note="A further action needs a further incident or a recorded reason.",
        )
    counting = {i.id for i in facts.incidents if i.counts}
    if not evidence_ids or not set(evidence_ids) & counting:
        return Verdict(
            CaseAction.FORMAL, ("Name the incidents on the case this further action rests on.",), True
        )
    return Verdict(
        CaseAction.FORMAL, (), True, "Further action on the evidence already on the case (reason recorded)."
    )


def check_warning(
    facts: CaseFacts, skip_reason: str = "", evidence_ids: Iterable[int] | None = None
) -> Verdict:
    """A warning needs an earlier informal stage and a later counting incident."""
    if v := _closed(facts, CaseAction.WARNING):
        return v
    if facts.stage in (Stage.WARNING, Stage.FORMAL):
        return Verdict(
            CaseAction.WARNING,
            (
                f"The case is already at the {facts.stage.label.lower()}: record a review, or take "
                "formal action if there were further incidents.",
            ),
        )
    informal = live_events(facts, Stage.INFORMAL)
    if not informal:
        evidence = _later_evidence(facts, None, evidence_ids, "")
        return _skip_verdict(CaseAction.WARNING, facts, evidence, skip_reason, "informal stage")
    last = informal[-1]
    problems = _later_evidence(
        facts, last.decided_on, evidence_ids, f"the informal stage on {_fmt(last.decided_on)}"
    )
    return Verdict(CaseAction.WARNING, tuple(problems))


def check_formal(
    facts: CaseFacts, skip_reason: str = "", evidence_ids: Iterable[int] | None = None
) -> Verdict:
    """A formal action needs a warning on record and a later counting incident."""
    if v := _closed(facts, CaseAction.FORMAL):
        return v
    formal = live_events(facts, Stage.FORMAL)
    if facts.stage == Stage.FORMAL and formal:
        return _further_formal(facts, formal[-1], skip_reason, evidence_ids)
    warnings = live_events(facts, Stage.WARNING)
    if not warnings:
        evidence = _later_evidence(facts, None, evidence_ids, "")
        missing = "warning stage (Fair Treatment Letter)"
        if not live_events(facts, Stage.INFORMAL):
            missing = "informal and warning stages"
        return _skip_verdict(CaseAction.FORMAL, facts, evidence, skip_reason, missing)
    last = warnings[-1]
    problems = _later_evidence(
        facts, last.decided_on, evidence_ids, f"the warning on {_fmt(last.decided_on)}"
    )
    return Verdict(CaseAction.FORMAL, tuple(problems))


def formal_action_problems(
    plans: list[ActionPlan],
    starts_on: dt.date,
    vulnerabilities: Iterable[Vulnerability],
    serious_on_record: bool,
    communication_needs: Iterable[str] = (),
    spoc_requested: bool = False,
) -> list[str]:
    """Each proposed action: terms, a 3-12 month review, extreme actions only for extreme behaviour, no
    written-only restriction without an adjustment for a customer whose recorded needs may affect writing.
    A SPOC request can itself be the decision."""
    problems: list[str] = []
    if not plans:
        return (
            []
            if spoc_requested
            else [
                "Choose at least one formal action, or request a single point of "
                "contact from the Data Management Officer."
            ]
        )
    if any(p.kind == FormalActionType.SPOC for p in plans):
        problems.append(SPOC_ONLY_BY_REQUEST)
    kinds = [p.kind for p in plans]
    if len(set(kinds)) != len(kinds):
        problems.append("Each kind of formal action can be chosen once per decision.")
    earliest, latest = review_window(starts_on)
    writing_needs = sorted(
        {v.label.lower() for v in vulnerabilities if v in WRITING_VULNERABILITIES} | set(communication_needs)
    )  # issue 16
    for plan in plans:
        name = plan.kind.label
        if not (plan.terms or "").strip():
            what = "describe the action" if plan.kind == FormalActionType.OTHER else "set out its terms"
            problems.append(f"{name}: {what}.")
        if plan.review_due is None:
            problems.append(f"{name}: set a review date between {_fmt(earliest)} and {_fmt(latest)}.")
        elif not earliest <= plan.review_due <= latest:
            problems.append(
                f"{name}: the review date must be between 3 and 12 months after the start "
                f"({_fmt(earliest)} to {_fmt(latest)})."
            )
        if plan.kind == FormalActionType.ONE_CHANNEL:
            if plan.channel is None:
                problems.append(f"{name}: choose the one channel contact is limited to.")
            elif plan.channel in WRITTEN_CHANNELS and writing_needs and not (plan.adjustment or "").strip():
                problems.append(
                    f"{name}: limiting contact to {plan.channel.label.lower()} only is a written-only "
                    f"restriction, and the customer has a recorded {', '.join(writing_needs)} need that may "
                    "affect writing. Record the reasonable adjustment it keeps (for example, a named "
                    "officer phones to go through each letter) before this action can be taken."
                )
        if plan.kind in EXTREME_ACTIONS and not serious_on_record:
            problems.append(
                f"{name} is for extreme cases (physical violence, threats or harassment), "
                "and none is recorded on this case."
            )
        problems += court_date_problems(plan, starts_on)
    return problems


def check_review(facts: CaseFacts) -> Verdict:
    if v := _closed(facts, CaseAction.REVIEW):
        return v
    if warning_in_force(facts) or reviewable_actions(facts):
        return Verdict(CaseAction.REVIEW)
    return Verdict(CaseAction.REVIEW, ("There is no warning or active restriction to review.",))


def review_outcome_problems(
    subject: str,
    outcome: ReviewOutcome,
    held_on: dt.date,
    next_review_due: dt.date | None,
    counting_since: int,
    evidence_considered: str,
    new_terms: str = "",
) -> list[str]:
    """`subject` is 'warning' or 'formal_action'. `counting_since`: counting incidents since it began."""
    problems: list[str] = []
    if not (evidence_considered or "").strip():
        problems.append("Record the evidence considered at the review.")
    if subject == SubjectType.WARNING:
        if outcome not in REVIEW_OUTCOMES[SubjectType.WARNING]:
            problems.append("A warning review ends in 'no further action' or 'continued' with a new date.")
        if outcome == ReviewOutcome.NO_FURTHER_ACTION and counting_since:
            problems.append(
                f"'No further action' is not possible: {counting_since} further incident(s) "
                "counting as evidence happened since the warning. Continue the warning "
                "with a new date, or take formal action."
            )
    else:
        if outcome not in REVIEW_OUTCOMES[SubjectType.FORMAL_ACTION]:
            problems.append("A restriction review ends in lifted, varied or continued.")
        if outcome == ReviewOutcome.VARY and not (new_terms or "").strip():
            problems.append("Set out the varied terms.")
    if outcome in (ReviewOutcome.CONTINUE, ReviewOutcome.VARY):
        earliest, latest = review_window(held_on)
        if next_review_due is None:
            problems.append(f"Set the next review date, between {_fmt(earliest)} and {_fmt(latest)}.")
        elif not earliest <= next_review_due <= latest:
            problems.append(
                f"The next review date must be between 3 and 12 months after this review "
                f"({_fmt(earliest)} to {_fmt(latest)})."
            )
    return problems


def check_close(facts: CaseFacts, loose_end_reason: str = "") -> Verdict:
    """A case closes only when nothing is left open, unless the officer records why (issue 13)."""
    if v := _closed(facts, CaseAction.CLOSE):
        return v
    ends = loose_ends(facts)
    if not ends:
        return Verdict(CaseAction.CLOSE)
    if (loose_end_reason or "").strip():
        return Verdict(
            CaseAction.CLOSE, needs_skip_reason=True, note="Closing with open items: " + "; ".join(ends)
        )
    return Verdict(
        CaseAction.CLOSE,
        (
            "Still open on this case: " + "; ".join(ends) + ". Deal with each "
            "first, or record why the case closes anyway.",
        ),
        needs_skip_reason=True,
    )


def check_appeal(facts: CaseFacts) -> Verdict:
    if not any(not e.overturned and e.to_stage in DECISION_STAGES for e in facts.events):
        return Verdict(CaseAction.APPEAL, ("There is no decision on this case to appeal against yet.",))
    return Verdict(CaseAction.APPEAL)


def next_actions(facts: CaseFacts) -> list[Verdict]:
    """Every action with whether the policy allows it now, and why not. Skip reasons are form
    input, so an escalation that needs one is shown as allowed with a note."""
    verdicts = []
    counting = [i.id for i in facts.incidents if i.counts]  # the form lets the officer name them
    for verdict in (
        check_informal(facts),
        check_warning(facts, skip_reason="?"),
        check_formal(facts, "?", counting),
        check_review(facts),
        check_appeal(facts),
        check_close(facts, loose_end_reason="?"),
    ):
        if verdict.allowed and verdict.needs_skip_reason:
            need = (
                "Record why it closes anyway."
                if verdict.action == CaseAction.CLOSE
                else "A reason for skipping must be recorded."
            )
            verdict = Verdict(verdict.action, (), True, f"{verdict.note} {need}")
        verdicts.append(verdict)
    return verdicts


def stage_after_review_lift(actions_left: int, stage: Stage) -> Stage:
    """Lifting the last restriction never closes a case by itself (issue 13): closing is a decision."""
    return stage
