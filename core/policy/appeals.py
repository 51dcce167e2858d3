"""Who decides an appeal (clause 4.2), as pure functions over plain values.

- Informal and warning stage decisions (e.g. Fair Treatment Letters): the Assistant Director
  of the case's service area.
- A single point of contact (SPOC): the Assistant Director for Corporate Service and ICT, whether
  the SPOC was taken as a formal action or approved by the Data Management Officer onto the
  SPOC register (subject "spoc_entry").
- Other formal actions, and review outcomes that continue or vary a warning or restriction: the
  Assistant Director of the case's service area (a SPOC reviewed: Corporate Service and ICT).
- A PVP marker challenged under the PVP notice: the Assistant Director of the case's service area.
  The policy names no decider for PVP challenges; clause 4.2 has every appeal considered by an
  Assistant Director, and the Health and Safety, Well-being Officer who manages the PVP register
  (clause 5) took the decision, so cannot consider the challenge to it.
The decision maker is the one the rule names. Only when that person took part in the decision
appealed against may another Assistant Director decide, and the conflict is recorded.

One appeal clock (clause 4.2, "within 28 days of the decision"): `appeal_clock` gives every
decision the customer is told about its one appeal-by date, which the letter prints, the case
shows and the appeal service uses to flag a late appeal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.enums import FormalActionType, Stage, SubjectType
from core.errors import PolicyError
from core.policy.deadlines import appeal_deadline, appeal_window_start, is_appeal_late
from core.policy.stages import DECISION_STAGES, CaseAction, CaseFacts, Verdict

SUBJECT_TYPES = (
    SubjectType.STAGE_EVENT,
    SubjectType.FORMAL_ACTION,
    SubjectType.SPOC_ENTRY,
    SubjectType.REVIEW,
    SubjectType.PVP_ENTRY,
)
SPOC_RULE = "SPOC appeals are decided by the Assistant Director for Corporate Service and ICT."
PVP_RULE = (
    "Challenges to a PVP marker go to the Assistant Director of the service area (the Health and "
    "Safety, Well-being Officer took the decision)."
)
REVIEW_RULE = "Appeals against a review outcome go to the Assistant Director of the service area."


@dataclass(frozen=True)
class AreaFact:
    id: int
    name: str
    is_corporate_ict: bool
    assistant_director_id: int | None


@dataclass(frozen=True)
class PersonFact:
    id: int
    name: str


@dataclass(frozen=True)
class Route:
    decision_maker_id: int
    area_name: str
    rule: str


def route_appeal(
    stage: Stage | None, action_kind: FormalActionType | None, case_area: AreaFact, areas: list[AreaFact]
) -> Route:
    """The Assistant Director who decides an appeal against this decision."""
    if action_kind == FormalActionType.SPOC:
        return route_spoc_appeal(areas)
    if case_area.assistant_director_id is None:
        raise PolicyError(
            f"No Assistant Director is set for {case_area.name}: ask an administrator to set one."
        )
    if stage in (Stage.INFORMAL, Stage.WARNING):
        rule = "Appeals against informal and warning stage decisions go to the Assistant Director of the service area."
    else:
        rule = "Appeals against formal actions go to the Assistant Director of the service area."
    return Route(case_area.assistant_director_id, case_area.name, rule)


def route_spoc_appeal(areas: list[AreaFact]) -> Route:
    """Any SPOC appeal (a SPOC formal action or a SPOC register entry): the AD for Corporate Service and ICT."""
    ict = next((a for a in areas if a.is_corporate_ict), None)
    if ict is None or ict.assistant_director_id is None:
        raise PolicyError(
            "SPOC appeals go to the Assistant Director for Corporate Service and ICT, "
            "and none is set up: ask an administrator to set one."
        )
    return Route(ict.assistant_director_id, ict.name, SPOC_RULE)


def route_subject(
    subject_type: str,
    stage: Stage | None,
    action_kind: FormalActionType | None,
    case_area: AreaFact,
    areas: list[AreaFact],
    about_spoc: bool = False,
) -> Route:
    """Route an appeal by what it is against: a stage decision, a formal action, a review outcome,
    a SPOC register entry or a PVP marker. `about_spoc`: the decision includes a SPOC (a formal
    decision with a SPOC among its actions, or a review of a SPOC), so it goes to Corporate Service
    and ICT however the appeal is entered (clause 4.2)."""
    if subject_type not in SUBJECT_TYPES:
        raise PolicyError("Choose the decision, formal action, review, SPOC or PVP marker appealed against.")
    if subject_type == SubjectType.SPOC_ENTRY or about_spoc:
        return route_spoc_appeal(areas)
    if subject_type in (SubjectType.PVP_ENTRY, SubjectType.REVIEW):
        if case_area.assistant_director_id is None:
            raise PolicyError(
                f"No Assistant Director is set for {case_area.name}: ask an administrator to set one."
            )
        rule = PVP_RULE if subject_type == SubjectType.PVP_ENTRY else REVIEW_RULE
        return Route(case_area.assistant_director_id, case_area.name, rule)
    return route_appeal(stage, action_kind, case_area, areas)


@dataclass(frozen=True)
class AppealClock:
    """A decision's one appeal clock: the day the customer was informed and the appeal-by date."""

    informed_on: dt.date
    appeal_by: dt.date

    def is_late(self, received_on: dt.date) -> bool:
        return is_appeal_late(self.informed_on, received_on)

    def days_late(self, received_on: dt.date) -> int:
        return max(0, (received_on - self.appeal_by).days)


def appeal_clock(
    decided_on: dt.date, letter_sent_on: dt.date | None = None, takes_effect_on: dt.date | None = None
) -> AppealClock:
    """The appeal-by date of any decision: 28 calendar days from the day the customer was informed,
    which is the day its letter was first sent, or the decision date when it was given in writing
    at once. A decision that takes effect later (a SPOC starting after the DMO's meeting) is
    informed no earlier than it takes effect, unless its letter was sent."""
    informed = appeal_window_start(letter_sent_on, decided_on)
    if letter_sent_on is None and takes_effect_on is not None:
        informed = max(informed, takes_effect_on)
    return AppealClock(informed, appeal_deadline(informed))


def review_is_appealable(outcome: str) -> bool:
    """A review that continues or varies a warning or restriction is a decision the customer may
    appeal; one that lifts it or takes no further action is not against them."""
    return outcome in ("continue", "vary")


def spoc_appeal_window_start(decided_on: dt.date, starts_on: dt.date) -> dt.date:
    """The 28 days for appealing a SPOC on the register run from the day it starts (the decision
    takes effect and is told to the customer then), and never from before the DMO's decision."""
    return appeal_clock(decided_on, takes_effect_on=starts_on).informed_on


def with_spoc_appeals(verdicts: list[Verdict], active_spoc_entries: int) -> list[Verdict]:
    """An active SPOC on the register is a decision the customer may appeal (clause 4.2), even if
    the case has no stage decision of its own to appeal."""
    if not active_spoc_entries:
        return verdicts
    return [
        Verdict(CaseAction.APPEAL) if v.action == CaseAction.APPEAL and not v.allowed else v for v in verdicts
    ]


def alternatives(decision_taker_id: int, assistant_directors: list[PersonFact]) -> list[PersonFact]:
    """Assistant Directors who may decide instead: anyone but the officer who took the decision."""
    return [p for p in assistant_directors if p.id != decision_taker_id]


@dataclass(frozen=True)
class DecisionMaker:
    """Who decides the appeal, and the conflict recorded when it is not the one the rule names."""

    decision_maker_id: int
    conflict: str = ""


def choose_decision_maker(
    route: Route, chosen_id: int | None, took_part: frozenset[int], assistant_directors: list[PersonFact]
) -> DecisionMaker:
    """The decision maker is the one the rule names (clause 4.2). Only when that person took part
    in the decision appealed against may another active Assistant Director decide instead, and the
    conflict is recorded; nobody who took part may decide."""
    usual = route.decision_maker_id
    active = {p.id: p for p in assistant_directors}
    conflicted = usual in took_part
    if chosen_id is None or chosen_id == usual:
        if conflicted:
            raise PolicyError(
                conflict_problem(usual, usual, [p for p in assistant_directors if p.id not in took_part])
                or ""
            )
        return DecisionMaker(usual)
    if not conflicted:
        raise PolicyError(
            f"{route.rule} The appeal goes to that Assistant Director; another may decide "
            "only when they took part in the decision appealed against."
        )
    if chosen_id not in active:
        raise PolicyError("The decision maker must be an active Assistant Director.")
    if chosen_id in took_part:
        raise PolicyError(
            conflict_problem(chosen_id, chosen_id, [p for p in assistant_directors if p.id not in took_part])
            or ""
        )
    usual_name = active[usual].name if usual in active else "the usual decision maker"
    return DecisionMaker(
        chosen_id,
        f"Conflict recorded: {usual_name} took part in the decision appealed "
        f"against, so {active[chosen_id].name} decides instead.",
    )


def conflict_problem(
    decision_maker_id: int, decision_taker_id: int, assistant_directors: list[PersonFact]
) -> str | None:
    """A refusal (naming the alternatives) if the decision maker took the decision appealed against."""
    if decision_maker_id != decision_taker_id:
        return None
    others = alternatives(decision_taker_id, assistant_directors)
    names = ", ".join(p.name for p in others) or "none is available: ask an administrator"
    return (
        "The appeal cannot be decided by the officer who took the decision appealed against. "
        f"Choose another Assistant Director: {names}."
    )


def appealable_subjects(
    facts: CaseFacts,
    active_spoc_entry_ids: list[int],
    review_ids: tuple[int, ...] = (),
    pvp_entry_ids: tuple[int, ...] = (),
) -> list[tuple[SubjectType, int]]:
    """What the customer may appeal against now (clause 4.2): each stage decision that still
    stands, each active restriction, each review that continued or varied one, each active SPOC
    on the register and each active PVP marker (the PVP notice's challenge route)."""
    subjects = [
        (SubjectType.STAGE_EVENT, e.id)
        for e in facts.events
        if e.to_stage in DECISION_STAGES and not e.overturned
    ]
    subjects += [
        (SubjectType.FORMAL_ACTION, a.id) for a in sorted(facts.actions, key=lambda a: a.id) if a.active
    ]
    subjects += [(SubjectType.REVIEW, i) for i in review_ids]
    subjects += [(SubjectType.SPOC_ENTRY, i) for i in active_spoc_entry_ids]
    subjects += [(SubjectType.PVP_ENTRY, i) for i in pvp_entry_ids]
    return subjects
