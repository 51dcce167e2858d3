"""What makes an incident record acceptable (clauses 3, 4.1, 4.2 and 6)."""
from __future__ import annotations

from core.enums import BEHAVIOURS_BY_CATEGORY, Behaviour, Category, EvidenceSource

VIOLENCE_BEHAVIOURS = frozenset({Behaviour.PHYSICAL_VIOLENCE, Behaviour.VIOLENCE_TO_PROPERTY,
                                 Behaviour.THREATENING_LANGUAGE})


def behaviour_problems(category: Category, behaviours: list[Behaviour]) -> list[str]:
    if not behaviours:
        return ["Choose at least one behaviour for the category."]
    allowed = BEHAVIOURS_BY_CATEGORY[category]
    stray = [b for b in behaviours if b not in allowed]
    if stray:
        names = "; ".join(b.label for b in stray)
        return [f"These behaviours do not belong to '{category.label}': {names}."]
    return []


def evidence_problems(source: EvidenceSource, third_party_name: str) -> list[str]:
    if source == EvidenceSource.TRUSTED_THIRD_PARTY and not third_party_name:
        return ["Name the trusted third party who gave this account."]
    return []


def violence_problems(violence_or_threat: bool, police_reference: str,
                      police_not_referred_reason: str) -> list[str]:
    """Violence or threats need a police referral decision: a reference, or why not."""
    if violence_or_threat and not (police_reference or police_not_referred_reason):
        return ["Violence or threats were ticked: record the police reference number, "
                "or the reason the matter was not referred to the police."]
    return []


def counts_as_evidence(source: EvidenceSource) -> bool:
    """Hearsay or opinion is never considered in decision making (clauses 4.2, 6)."""
    return source != EvidenceSource.HEARSAY
