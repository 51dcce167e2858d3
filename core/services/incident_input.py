"""The incident form (clauses 3, 4.1, 4.2, 6): what a recorder enters, and every check on it at
once (re-exported from core.services.incidents)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.enums import Behaviour, Category, Channel, EvidenceSource
from core.errors import PolicyError
from core.permissions import Actor
from core.policy import incidents as rules
from core.policy.language import check_language
from core.services.incident_records import (  # noqa: F401  (public names, kept importable here)
    IncidentRecord,
    IncidentRow,
    ReferralRow,
    SavedIncident,
    get_incident,
    list_incidents,
    list_service_referrals,
    resolve_service_referral,
    saved_incident,
)
from core.validation import clean_line, clean_text, not_in_future, parse_enum


@dataclass
class NewIncident:
    customer_id: int
    occurred_at: dt.datetime
    channel: str
    category: str
    behaviours: list[str]
    description: str
    evidence_source: str
    service_area_id: int | None = None
    third_party_name: str = ""
    witnesses: str = ""
    staff_affected: str = ""
    violence_or_threat: bool = False
    police_reference: str = ""
    police_not_referred_reason: str = ""
    in_person_arrangement: str = ""  # violence: one of rules.INTERIM_ARRANGEMENTS, or "other"
    in_person_arrangement_other: str = ""
    service_failure: bool = False
    referral_service_area_id: int | None = None
    referral_description: str = ""
    wording_checked: bool = False  # the recorder saw the language prompt and keeps the wording
    submission_token: str = ""  # one per form submission: saving the same one twice saves once
    extra: dict = field(default_factory=dict)


class IncidentProblems(PolicyError):
    """Every problem with the form, one line each, so the user can fix them all at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"- {p}" for p in problems) if len(problems) > 1 else problems[0])


class WordingToCheck(PolicyError):
    """The description contains opinion, hearsay or personal-comment phrasing (clause 6).
    Saved only once the recorder confirms they have checked the wording."""

    def __init__(self, flags: list[dict]) -> None:
        self.flags = flags
        listed = "; ".join(f"'{f['phrase']}' ({f['kind']})" for f in flags)
        super().__init__(
            f"Check the wording of the description before saving. Please rephrase: {listed}. "
            "Records must be factual, first-hand and free of personal comments. If the wording is "
            "right as it stands, tick 'I have checked the wording' and save again."
        )


def language_flags(description: str) -> list[dict]:
    """The phrases in a description to rephrase, with the kind of problem and advice."""
    return [{"phrase": f.phrase, "kind": f.kind, "advice": f.advice} for f in check_language(description)]


def _check(problems: list[str], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one cleaner; a refusal is noted in `problems` (and None returned) so checking goes on."""
    try:
        return fn(*args, **kwargs)
    except PolicyError as problem:
        problems.append(str(problem))
        return None


def _field_values(new: NewIncident, now: dt.datetime, problems: list[str]) -> tuple[dict, list]:
    """Each field of the form cleaned (None where refused, the refusal noted), and the behaviours."""
    category = None
    if not new.category:
        problems.append("Choose a behaviour category.")
    else:
        category = _check(problems, parse_enum, Category, new.category, "Category")
    behaviours = [
        _check(problems, parse_enum, Behaviour, b, "Behaviour") for b in dict.fromkeys(new.behaviours or [])
    ]
    source = _check(problems, parse_enum, EvidenceSource, new.evidence_source, "Evidence source")
    occurred_at = None
    if new.occurred_at is None:
        problems.append("Enter the date and time of the incident.")
    else:
        occurred_at = _check(problems, not_in_future, new.occurred_at, "Date and time of the incident", now)
    values = {
        "occurred_at": occurred_at,
        "channel": _check(problems, parse_enum, Channel, new.channel, "Channel"),
        "category": category,
        "description": _check(problems, clean_text, new.description, "Description", required=True),
        "evidence_source": source,
        "third_party_name": _check(problems, clean_line, new.third_party_name, "Third party's name") or "",
        "witnesses": _check(problems, clean_text, new.witnesses, "Witnesses", max_len=2000) or "",
        "staff_affected": _check(problems, clean_line, new.staff_affected, "Staff or contractor affected")
        or "",
        "violence_or_threat": bool(new.violence_or_threat),
        "police_reference": _check(problems, clean_line, new.police_reference, "Police reference", max_len=60)
        or "",
        "police_not_referred_reason": _check(
            problems,
            clean_text,
            new.police_not_referred_reason,
            "Reason for no police referral",
            max_len=2000,
        )
        or "",
        "service_failure": bool(new.service_failure),
    }
    return values, behaviours


def _rule_checks(new: NewIncident, values: dict, behaviours: list, problems: list[str]) -> str:
    """The policy's rules over the cleaned values (problems noted); returns the cleaned 'other'
    interim arrangement wording."""
    category, source = values["category"], values["evidence_source"]
    if category is not None and None not in behaviours:
        problems += rules.behaviour_problems(category, behaviours)
    if source is not None:
        problems += rules.recordable_source_problems(source)
        problems += rules.evidence_problems(source, values["third_party_name"])
    other = (
        _check(problems, clean_line, new.in_person_arrangement_other, "Interim in-person arrangement") or ""
    )
    problems += rules.interim_arrangement_problems(
        values["violence_or_threat"], new.in_person_arrangement, other
    )
    problems += rules.violence_problems(
        values["violence_or_threat"], values["police_reference"], values["police_not_referred_reason"]
    )
    if new.service_failure and not new.referral_service_area_id:
        problems.append("Name the service area the service failure is referred to.")
    if new.service_failure and not (new.referral_description or "").strip():
        problems.append("Describe the service failure for the referral.")
    return other


def _validated(actor: Actor, new: NewIncident, now: dt.datetime) -> dict:
    """Every check on the form at once, so the user sees all problems together."""
    problems: list[str] = []
    values, behaviours = _field_values(new, now, problems)
    other = _rule_checks(new, values, behaviours, problems)
    if problems:
        raise IncidentProblems(problems)
    flags = language_flags(values["description"])
    if flags and not new.wording_checked:
        raise WordingToCheck(flags)
    values["in_person_adjustment"] = values["violence_or_threat"]
    values["in_person_arrangement"] = rules.interim_arrangement(
        values["violence_or_threat"], new.in_person_arrangement, other
    )
    return values | {"behaviours": behaviours, "language_flags_kept": [f["phrase"] for f in flags]}
