"""Who decides an appeal (clause 4.2), as pure functions over plain values.

- Informal and warning stage decisions (e.g. Fair Treatment Letters): the Assistant Director
  of the case's service area.
- A single point of contact (SPOC): the Assistant Director for Corporate Service and ICT, whether
  the SPOC was taken as a formal action or approved by the Data Management Officer onto the
  SPOC register (subject "spoc_entry").
- Other formal actions: the Assistant Director of the case's service area.
The decision maker must never be the officer who took the decision appealed against.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from core.enums import FormalActionType, Stage, SubjectType
from core.errors import PolicyError
from core.policy.stages import DECISION_STAGES, CaseAction, CaseFacts, Verdict

SUBJECT_TYPES = (SubjectType.STAGE_EVENT, SubjectType.FORMAL_ACTION, SubjectType.SPOC_ENTRY)
SPOC_RULE = "SPOC appeals are decided by the Assistant Director for Corporate Service and ICT."


@dataclass(frozen=True)
class AreaFact:
    id: int
    name: str
    is_corporate_ict: bool
    assistant_director_id: Optional[int]


@dataclass(frozen=True)
class PersonFact:
    id: int
    name: str


@dataclass(frozen=True)
class Route:
    decision_maker_id: int
    area_name: str
    rule: str


def route_appeal(stage: Stage, action_kind: Optional[FormalActionType], case_area: AreaFact,
                 areas: list[AreaFact]) -> Route:
    """The Assistant Director who decides an appeal against this decision."""
    if action_kind == FormalActionType.SPOC:
        return route_spoc_appeal(areas)
    if case_area.assistant_director_id is None:
        raise PolicyError(f"No Assistant Director is set for {case_area.name}: ask an administrator to set one.")
    if stage in (Stage.INFORMAL, Stage.WARNING):
        rule = "Appeals against informal and warning stage decisions go to the Assistant Director of the service area."
    else:
        rule = "Appeals against formal actions go to the Assistant Director of the service area."
    return Route(case_area.assistant_director_id, case_area.name, rule)


def route_spoc_appeal(areas: list[AreaFact]) -> Route:
    """Any SPOC appeal (a SPOC formal action or a SPOC register entry): the AD for Corporate Service and ICT."""
    ict = next((a for a in areas if a.is_corporate_ict), None)
    if ict is None or ict.assistant_director_id is None:
        raise PolicyError("SPOC appeals go to the Assistant Director for Corporate Service and ICT, "
                          "and none is set up: ask an administrator to set one.")
    return Route(ict.assistant_director_id, ict.name, SPOC_RULE)


def route_subject(subject_type: str, stage: Optional[Stage], action_kind: Optional[FormalActionType],
                  case_area: AreaFact, areas: list[AreaFact]) -> Route:
    """Route an appeal by what it is against: a stage decision, a formal action or a SPOC register entry."""
    if subject_type not in SUBJECT_TYPES:
        raise PolicyError("Choose the decision, formal action or SPOC appealed against.")
    if subject_type == SubjectType.SPOC_ENTRY:
        return route_spoc_appeal(areas)
    return route_appeal(stage, action_kind, case_area, areas)


def spoc_appeal_window_start(decided_on: dt.date, starts_on: dt.date) -> dt.date:
    """The 28 days for appealing a SPOC on the register run from the day it starts (the decision
    takes effect and is told to the customer then), and never from before the DMO's decision."""
    return max(decided_on, starts_on)


def with_spoc_appeals(verdicts: list[Verdict], active_spoc_entries: int) -> list[Verdict]:
    """An active SPOC on the register is a decision the customer may appeal (clause 4.2), even if
    the case has no stage decision of its own to appeal."""
    if not active_spoc_entries:
        return verdicts
    return [Verdict(CaseAction.APPEAL) if v.action == CaseAction.APPEAL and not v.allowed else v
            for v in verdicts]


def alternatives(decision_taker_id: int, assistant_directors: list[PersonFact]) -> list[PersonFact]:
    """Assistant Directors who may decide instead: anyone but the officer who took the decision."""
    return [p for p in assistant_directors if p.id != decision_taker_id]


def conflict_problem(decision_maker_id: int, decision_taker_id: int,
                     assistant_directors: list[PersonFact]) -> Optional[str]:
    """A refusal (naming the alternatives) if the decision maker took the decision appealed against."""
    if decision_maker_id != decision_taker_id:
        return None
    others = alternatives(decision_taker_id, assistant_directors)
    names = ", ".join(p.name for p in others) or "none is available: ask an administrator"
    return ("The appeal cannot be decided by the officer who took the decision appealed against. "
            f"Choose another Assistant Director: {names}.")


def appealable_subjects(facts: CaseFacts, active_spoc_entry_ids: list[int]) -> list[tuple[SubjectType, int]]:
    """What the customer may appeal against now (clause 4.2): each stage decision that still
    stands, each active restriction, and each active SPOC on the register."""
    subjects = [(SubjectType.STAGE_EVENT, e.id) for e in facts.events
                if e.to_stage in DECISION_STAGES and not e.overturned]
    subjects += [(SubjectType.FORMAL_ACTION, a.id) for a in sorted(facts.actions, key=lambda a: a.id) if a.active]
    subjects += [(SubjectType.SPOC_ENTRY, i) for i in active_spoc_entry_ids]
    return subjects
