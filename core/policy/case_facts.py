"""The facts the stage rules read (plain records a service builds from rows), the verdict they
give, and the small queries over those facts that several rules share (core.policy.stages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from core.enums import (
    FormalActionType,
    LabelledEnum,
    Stage,
)


class CaseAction(LabelledEnum):
    INFORMAL = ("informal", "Record the informal stage")
    WARNING = ("warning", "Issue a warning (Fair Treatment Letter)")
    FORMAL = ("formal", "Take formal action")
    REVIEW = ("review", "Record a review")
    APPEAL = ("appeal", "Record an appeal received")
    CLOSE = ("close", "Close the case (normal relations restored)")


@dataclass(frozen=True)
class IncidentFact:
    id: int
    occurred_on: dt.date
    counts: bool  # not hearsay (clauses 4.2, 6)
    serious: bool = False  # violence, threats or harassment


@dataclass(frozen=True)
class EventFact:
    """A stage decision on record."""

    id: int
    to_stage: Stage
    decided_on: dt.date
    evidence_ids: frozenset[int] = frozenset()
    overturned: bool = False
    review_due: dt.date | None = None


@dataclass(frozen=True)
class ActionFact:
    id: int
    kind: FormalActionType
    starts_on: dt.date
    review_due: dt.date
    active: bool = True


@dataclass(frozen=True)
class CaseFacts:
    stage: Stage
    incidents: tuple[IncidentFact, ...] = ()
    events: tuple[EventFact, ...] = ()
    actions: tuple[ActionFact, ...] = ()
    warning_review_due: dt.date | None = None
    undecided_appeals: int = 0
    loose_ends: tuple[str, ...] = ()  # open referrals, live SPOC/PVP entries or requests (closure)
    earlier_stage: Stage = Stage.NONE  # the furthest stage the customer's earlier closed cases reached


@dataclass(frozen=True)
class Verdict:
    """Whether an action is allowed; if not, every missing step in plain words."""

    action: CaseAction
    problems: tuple[str, ...] = ()
    needs_skip_reason: bool = False
    note: str = ""

    @property
    def allowed(self) -> bool:
        return not self.problems


def _fmt(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def live_events(facts: CaseFacts, stage: Stage) -> list[EventFact]:
    """Decisions of that stage still standing (not overturned on appeal), oldest first."""
    return sorted(
        (e for e in facts.events if e.to_stage == stage and not e.overturned),
        key=lambda e: (e.decided_on, e.id),
    )


def used_evidence(facts: CaseFacts, since: dt.date | None = None) -> frozenset[int]:
    """The evidence of the standing decisions taken on or after `since` (all, when None)."""
    live = [e for e in facts.events if not e.overturned and (since is None or e.decided_on >= since)]
    return frozenset(i for e in live for i in e.evidence_ids)


def counting_incidents_since(facts: CaseFacts, since: dt.date | None) -> list[IncidentFact]:
    """Further counting incidents since a decision of `since`: on or after that day and not the
    evidence of a decision taken since. An incident that supported an earlier decision may still
    support a later one (each decision names its own evidence); with no `since`, every one counts."""
    used = used_evidence(facts, since) if since is not None else frozenset()
    return [
        i
        for i in facts.incidents
        if i.counts and i.id not in used and (since is None or i.occurred_on >= since)
    ]


def _later_evidence(
    facts: CaseFacts, since: dt.date | None, evidence_ids: Iterable[int] | None, after_what: str
) -> list[str]:
    later = counting_incidents_since(facts, since)
    if evidence_ids is not None:
        chosen = set(evidence_ids)
        later = [i for i in later if i.id in chosen]
    if later:
        return []
    when = f" since {after_what}" if after_what else ""
    return [
        f"Record a further incident{when} that counts as evidence (first-hand or from a named "
        "trusted third party); hearsay or opinion cannot be the grounds for a decision."
    ]


def serious_on_record(facts: CaseFacts) -> bool:
    """Violence, threats or harassment on record (not hearsay): stages may be skipped, extreme actions taken."""
    return any(i.serious and i.counts for i in facts.incidents)


def incidents_during(
    incidents: Iterable[IncidentFact], starts_on: dt.date, until: dt.date | None = None
) -> list[IncidentFact]:
    """Counting incidents while a restriction is in force: from its start to `until` (None: no end)."""
    return [
        i
        for i in incidents
        if i.counts and starts_on <= i.occurred_on and (until is None or i.occurred_on <= until)
    ]


def warning_in_force(facts: CaseFacts) -> EventFact | None:
    """The warning the case is at, if it is at the warning stage and the warning still stands."""
    warnings = live_events(facts, Stage.WARNING) if facts.stage == Stage.WARNING else []
    return warnings[-1] if warnings else None


def reviewable_actions(facts: CaseFacts) -> list[ActionFact]:
    """The restrictions a review may be recorded for: those still active."""
    return [a for a in facts.actions if a.active]
