"""A new case after closure (issue 13): it shows the customer's earlier cases, and the team
leader may take the stage that history justifies, with a recorded reason. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from core.enums import Stage
from core.policy.stages import CaseAction, CaseFacts, Verdict, _closed, _later_evidence

PREVIOUS_STAGE = {Stage.WARNING: Stage.INFORMAL, Stage.FORMAL: Stage.WARNING}
STAGE_ORDER = (Stage.NONE, Stage.INFORMAL, Stage.WARNING, Stage.FORMAL)


def history_justifies(facts: CaseFacts, target: Stage) -> bool:
    """A new case after closure may start at the stage the customer's history justifies: the
    stage before `target` was reached on an earlier case of theirs."""
    needed = PREVIOUS_STAGE.get(target)
    if needed is None or facts.earlier_stage not in STAGE_ORDER:
        return False
    return STAGE_ORDER.index(facts.earlier_stage) >= STAGE_ORDER.index(needed)


def check_on_history(
    facts: CaseFacts, target: Stage, history_reason: str, evidence_ids: Iterable[int] | None = None
) -> Verdict | None:
    """The escalation verdict when the team leader takes a stage on the history of earlier cases
    (with a recorded reason); None when no history reason is given (the usual guards apply)."""
    if not (history_reason or "").strip():
        return None
    action = CaseAction.WARNING if target == Stage.WARNING else CaseAction.FORMAL
    if v := _closed(facts, action):
        return v
    if facts.stage not in (Stage.NONE, Stage.INFORMAL) or not history_justifies(facts, target):
        return Verdict(
            action,
            (
                f"The customer's earlier cases do not justify starting at the "
                f"{target.label.lower()}: they reached the {facts.earlier_stage.label.lower()}.",
            ),
        )
    return Verdict(
        action,
        tuple(_later_evidence(facts, None, evidence_ids, "")),
        needs_skip_reason=True,
        note="Stage taken on the history of the customer's earlier cases.",
    )
