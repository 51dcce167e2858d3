"""What every stage decision must record (clause 4.1 and the Equality Act 2010): the informal
stage's own steps, and the underlying issues and reasonable adjustments considered before a
warning or formal action. Pure; re-exported from core.policy.stages."""

from __future__ import annotations

from collections.abc import Iterable

from core.enums import Vulnerability

# The informal stage's own checklist (clause 4.1): key -> what the officer must have done.
INFORMAL_STEPS: dict[str, str] = {
    "contact_made": "contact the customer to try to agree an informal solution",
    "behaviour_set_out": "set out clearly the behaviour found unacceptable",
    "expectations_stated": "say how the customer is expected to change their behaviour",
    "consequences_stated": "say what action will follow if the behaviour does not change",
    "root_cause_looked_for": "look for a root cause in an NPH service (something not done, or done badly)",
    "third_party_offered": "offer contact via a third party (family member or friend) or mediation",
}


def underlying_issue_problems(
    considered: bool, notes: str, adjustments: str, vulnerabilities: Iterable[Vulnerability]
) -> list[str]:
    """Clause 2.3 and the Equality Act 2010: considered and recorded before a warning or formal action."""
    problems: list[str] = []
    if not considered:
        problems.append(
            "Record that underlying issues (disability, mental health, learning "
            "difficulties, language or other vulnerabilities) and reasonable adjustments "
            "(Equality Act 2010) were considered."
        )
    if not (notes or "").strip():
        problems.append("Say which underlying issues were considered and what you found.")
    recorded = sorted({v.label.lower() for v in vulnerabilities})
    if recorded and not (adjustments or "").strip():
        problems.append(
            f"The customer has a recorded {', '.join(recorded)} need: record the reasonable "
            "adjustments this action keeps (or why none are needed)."
        )
    return problems


def informal_step_problems(steps: dict[str, bool]) -> list[str]:
    missing = [text for key, text in INFORMAL_STEPS.items() if not steps.get(key)]
    if not missing:
        return []
    return ["Before recording the informal stage: " + "; ".join(missing) + "."]
