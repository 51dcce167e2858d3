"""What an appeal is against (clause 4.2), whichever kind: a stage decision, a restriction, a
review outcome, a SPOC on the register or a PVP marker. Each is loaded with its one appeal clock
(core/services/appeal_clock.py), who took part in it, and whether it is about a SPOC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import ActionStatus, FormalActionType, RegisterStatus, Stage, SubjectType
from core.errors import PolicyError
from core.models import (
    Case,
    FormalAction,
    Incident,
    PvpConsideration,
    PvpEntry,
    Review,
    SpocEntry,
    StageEvent,
)
from core.policy import appeals as appeal_rules
from core.policy import stages as rules
from core.policy.appeals import AppealClock
from core.services import appeal_clock as clocks
from core.services.cases._common import SPOC_OVERTURNED, _overturned


@dataclass
class AppealSubject:
    """What an appeal is against: its clock, who took part in the decision, and the record."""

    clock: AppealClock
    decided_on: dt.date
    decided_by_id: int | None
    took_part: frozenset[int] = frozenset()
    stage: Stage | None = None
    action_kind: FormalActionType | None = None
    about_spoc: bool = False
    event: StageEvent | None = None
    action: FormalAction | None = None
    review: Review | None = None
    spoc: SpocEntry | None = None
    pvp: PvpEntry | None = None
    ended: str = ""  # why nothing is in force to appeal against, if so


def _people(*ids: int | None) -> frozenset[int]:
    return frozenset(i for i in ids if i is not None)


def _has_spoc(case: Case, event: StageEvent) -> bool:
    """A formal decision with a SPOC among its actions: appealed to Corporate Service and ICT."""
    return any(
        a.stage_event_id == event.id
        and a.kind == FormalActionType.SPOC
        and a.status != ActionStatus.OVERTURNED
        for a in case.formal_actions
    )


def _stage_event(case: Case, subject_id: int) -> AppealSubject:
    event = next((e for e in case.stage_events if e.id == subject_id), None)
    if event is None or event.to_stage not in rules.DECISION_STAGES:
        raise PolicyError(
            "Choose a decision on this case (informal, warning or formal stage) to appeal against."
        )
    if _overturned(event):
        raise PolicyError("That decision was already overturned.")
    return AppealSubject(
        clocks.stage_event_clock(event),
        event.decided_on,
        event.decided_by_id,
        _people(event.decided_by_id),
        event.to_stage,
        None,
        _has_spoc(case, event),
        event=event,
    )


def _formal_action(case: Case, subject_id: int) -> AppealSubject:
    action = next((a for a in case.formal_actions if a.id == subject_id), None)
    if action is None:
        raise PolicyError("Choose a formal action on this case to appeal against.")
    if action.status == ActionStatus.OVERTURNED:
        raise PolicyError("That action was already overturned.")
    event = action.stage_event
    return AppealSubject(
        clocks.formal_action_clock(action),
        event.decided_on,
        event.decided_by_id,
        _people(event.decided_by_id),
        event.to_stage,
        action.kind,
        action.kind == FormalActionType.SPOC,
        event=event,
        action=action,
    )


def _review(uow: UnitOfWork, case: Case, subject_id: int) -> AppealSubject:
    review = uow.session.get(Review, subject_id)
    if review is None or review.case_id != case.id:
        raise PolicyError("Choose a review on this case to appeal against.")
    if not appeal_rules.review_is_appealable(review.outcome.value):
        raise PolicyError(
            "Only a review that continued or varied a warning or restriction can be appealed: "
            "this one ended it."
        )
    action = (
        uow.session.get(FormalAction, review.subject_id)
        if review.subject_type == SubjectType.FORMAL_ACTION
        else None
    )
    about_spoc = action is not None and action.kind == FormalActionType.SPOC
    ended = (
        ""
        if action is None or action.status == ActionStatus.ACTIVE
        else "That restriction has ended, so there is nothing in force to appeal against."
    )
    return AppealSubject(
        clocks.review_clock(uow.session, review),
        review.held_on,
        review.reviewed_by_id,
        _people(review.reviewed_by_id),
        None,
        action.kind if action else None,
        about_spoc,
        review=review,
        ended=ended,
    )


def _spoc(uow: UnitOfWork, case: Case, subject_id: int) -> AppealSubject:
    entry = uow.session.get(SpocEntry, subject_id)
    if entry is None or entry.case_id != case.id:
        raise PolicyError("Choose a SPOC on this case's register entries to appeal against.")
    if entry.status != RegisterStatus.ACTIVE and entry.ended_reason.startswith(SPOC_OVERTURNED):
        raise PolicyError("That SPOC was already overturned.")
    decided_on, decided_by = clocks.spoc_decision(uow.session, entry)
    ended = (
        ""
        if entry.status == RegisterStatus.ACTIVE
        else "That SPOC has ended, so there is nothing in force to appeal against."
    )
    return AppealSubject(
        clocks.spoc_clock(uow.session, entry),
        decided_on,
        decided_by,
        _people(decided_by),
        None,
        None,
        True,
        spoc=entry,
        ended=ended,
    )


def pvp_case_ok(uow: UnitOfWork, case: Case, entry: PvpEntry) -> bool:
    """A PVP marker is appealed on a case of its customer: the case of the incident behind it, or
    (when the marker came another way) any case of the customer."""
    if entry.customer_id != case.customer_id:
        return False
    if entry.consideration_id is None:
        return True
    incident_case = uow.session.scalar(
        select(Incident.case_id)
        .join(PvpConsideration, PvpConsideration.incident_id == Incident.id)
        .where(PvpConsideration.id == entry.consideration_id)
    )
    return incident_case in (None, case.id)


def _pvp(uow: UnitOfWork, case: Case, subject_id: int) -> AppealSubject:
    entry = uow.session.get(PvpEntry, subject_id)
    if entry is None or not pvp_case_ok(uow, case, entry):
        raise PolicyError("Choose a PVP marker of this case's customer to appeal against.")
    ended = (
        ""
        if entry.status == RegisterStatus.ACTIVE
        else "That PVP marker is not in force, so there is nothing to appeal against."
    )
    return AppealSubject(
        clocks.pvp_clock(uow.session, entry),
        clocks.pvp_decided_on(entry),
        entry.approved_by_id,
        _people(entry.approved_by_id, entry.proposed_by_id),
        pvp=entry,
        ended=ended,
    )


def load_subject(uow: UnitOfWork, case: Case, subject_type: str, subject_id: int) -> AppealSubject:
    """The decision appealed against, refused if it is not on this case or was overturned."""
    if subject_type == SubjectType.STAGE_EVENT:
        return _stage_event(case, subject_id)
    if subject_type == SubjectType.FORMAL_ACTION:
        return _formal_action(case, subject_id)
    if subject_type == SubjectType.REVIEW:
        return _review(uow, case, subject_id)
    if subject_type == SubjectType.SPOC_ENTRY:
        return _spoc(uow, case, subject_id)
    if subject_type == SubjectType.PVP_ENTRY:
        return _pvp(uow, case, subject_id)
    raise PolicyError("Choose the decision, formal action, review, SPOC or PVP marker appealed against.")
