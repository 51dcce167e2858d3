"""What makes an incident record acceptable (clauses 3, 4.1, 4.2 and 6)."""

from __future__ import annotations

from core.enums import BEHAVIOURS_BY_CATEGORY, Behaviour, Category, EvidenceSource

VIOLENCE_BEHAVIOURS = frozenset(
    {Behaviour.PHYSICAL_VIOLENCE, Behaviour.VIOLENCE_TO_PROPERTY, Behaviour.THREATENING_LANGUAGE}
)


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


def violence_problems(
    violence_or_threat: bool, police_reference: str, police_not_referred_reason: str
) -> list[str]:
    """Violence or threats need a police referral decision: a reference, or why not."""
    if violence_or_threat and not (police_reference or police_not_referred_reason):
        return [
            "Violence or threats were ticked: record the police reference number, "
            "or the reason the matter was not referred to the police."
        ]
    return []


def counts_as_evidence(source: EvidenceSource) -> bool:
    """Hearsay or opinion is never considered in decision making (clauses 4.2, 6)."""
    return source != EvidenceSource.HEARSAY


# Clause 4.1 / 5: "immediate adjustments to in-person contact to protect our staff and
# contractors". The wording is chosen on the incident form from this list (or typed as other);
# it is in force from the moment a violent incident is saved until the H&S Well-being Officer
# decides the PVP consideration, and shown without reasons (clause 4.2).
INTERIM_ARRANGEMENTS = (
    "No lone visits: attend in pairs",
    "No home visits: meet only at an NPH office",
    "No in-person contact: telephone or writing only",
)
DEFAULT_INTERIM_ARRANGEMENT = INTERIM_ARRANGEMENTS[0]
OTHER_INTERIM_ARRANGEMENT = "other"


def interim_arrangement(violence_or_threat: bool, chosen: str, other_wording: str = "") -> str:
    """The interim in-person arrangement a violent incident puts in force: the wording chosen
    from INTERIM_ARRANGEMENTS, the officer's own wording for 'other', or the first (safest
    default) when none was chosen. No violence or threat: none."""
    if not violence_or_threat:
        return ""
    if chosen == OTHER_INTERIM_ARRANGEMENT:
        return " ".join((other_wording or "").split())
    return chosen if chosen in INTERIM_ARRANGEMENTS else DEFAULT_INTERIM_ARRANGEMENT


def interim_arrangement_problems(violence_or_threat: bool, chosen: str, other_wording: str) -> list[str]:
    if violence_or_threat and chosen == OTHER_INTERIM_ARRANGEMENT and not (other_wording or "").strip():
        return ["Write the interim in-person arrangement (you chose 'other')."]
    return []


# Clauses 4.2 and 6: recorded data must be factual and first-hand (or from a named trusted third
# party); hearsay or opinion is not recorded as an incident at all.
RECORDABLE_EVIDENCE_SOURCES = (EvidenceSource.FIRST_HAND, EvidenceSource.TRUSTED_THIRD_PARTY)
HEARSAY_REFUSAL = (
    "Hearsay or opinion is not recorded as an incident (clauses 4.2 and 6). Get a first-hand "
    "account, or name the trusted third party who saw it. You can keep a note that something "
    "needs checking (who to ask), without what was said."
)


def recordable_source_problems(source: EvidenceSource) -> list[str]:
    """An incident's only source may not be hearsay or opinion."""
    return [] if source in RECORDABLE_EVIDENCE_SOURCES else [HEARSAY_REFUSAL]
