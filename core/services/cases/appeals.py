"""Appeals (clause 4.2): routing, recording and deciding, and the Assistant Director's list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus,
    RegisterStatus,
    Role,
    SubjectType,
)
from core.errors import PolicyError
from core.models import (
    Appeal,
    Case,
    Customer,
    FormalAction,
    ServiceArea,
    SpocEntry,
    SpocRequest,
    StageEvent,
    User,
)
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import stages as rules
from core.policy.deadlines import (
    appeal_deadline,
    appeal_decision_due,
    appeal_window_start,
    is_appeal_late,
)
from core.services import notify
from core.services.cases._common import (
    SPOC_OVERTURNED,
    _audit_case,
    _decision_date,
    _load,
    _overturned,
    _today,
)
from core.services.cases.views import AppealRoute, AssignedAppeal, AssistantDirector
from core.validation import clean_text

ASSIGNED_LIMIT = 200   # appeals listed for one Assistant Director (open ones are few; decided ones pile up)


def _appeal_subject(case: Case, subject_type: str, subject_id: int) -> tuple[StageEvent, FormalAction | None]:
    if subject_type == SubjectType.STAGE_EVENT:
        event = next((e for e in case.stage_events if e.id == subject_id), None)
        if event is None or event.to_stage not in rules.DECISION_STAGES:
            raise PolicyError("Choose a decision on this case (informal, warning or formal stage) to appeal against.")
        if _overturned(event):
            raise PolicyError("That decision was already overturned.")
        return event, None
    if subject_type == SubjectType.FORMAL_ACTION:
        action = next((a for a in case.formal_actions if a.id == subject_id), None)
        if action is None:
            raise PolicyError("Choose a formal action on this case to appeal against.")
        if action.status == ActionStatus.OVERTURNED:
            raise PolicyError("That action was already overturned.")
        return action.stage_event, action
    raise PolicyError("Choose the decision or formal action appealed against.")


def _areas(uow: UnitOfWork) -> list[appeal_rules.AreaFact]:
    return [
        appeal_rules.AreaFact(a.id, a.name, a.is_corporate_ict, a.assistant_director_id)
        for a in uow.session.scalars(select(ServiceArea))
    ]


def _assistant_directors(uow: UnitOfWork) -> list[appeal_rules.PersonFact]:
    return [
        appeal_rules.PersonFact(u.id, u.name)
        for u in uow.session.scalars(
            select(User).where(User.role == Role.ASSISTANT_DIRECTOR, User.active.is_(True)).order_by(User.name)
        )
    ]


@dataclass
class _Subject:
    """What an appeal is against, whichever kind: when and by whom it was decided, and the record."""

    decided_on: dt.date
    window_start: dt.date
    decided_by_id: int | None
    event: StageEvent | None = None
    action: FormalAction | None = None
    spoc: SpocEntry | None = None


def _spoc_decision(uow: UnitOfWork, entry: SpocEntry) -> tuple[dt.date, int | None]:
    """The DMO's decision behind a SPOC register entry: its date (the review meeting) and who took it."""
    request = uow.session.get(SpocRequest, entry.request_id)
    decided_on = (
        (request.meeting_on or (request.decided_at.date() if request.decided_at else entry.starts_on))
        if request
        else entry.starts_on
    )
    return decided_on, request.decided_by_id if request else None


def _subject(uow: UnitOfWork, case: Case, subject_type: str, subject_id: int) -> _Subject:
    if subject_type == SubjectType.SPOC_ENTRY:
        entry = uow.session.get(SpocEntry, subject_id)
        if entry is None or entry.case_id != case.id:
            raise PolicyError("Choose a SPOC on this case's register entries to appeal against.")
        if entry.status != RegisterStatus.ACTIVE and entry.ended_reason.startswith(SPOC_OVERTURNED):
            raise PolicyError("That SPOC was already overturned.")
        decided_on, decided_by = _spoc_decision(uow, entry)
        return _Subject(
            decided_on,
            appeal_rules.spoc_appeal_window_start(decided_on, entry.starts_on),
            decided_by,
            spoc=entry,
        )
    event, action = _appeal_subject(case, subject_type, subject_id)
    return _Subject(
        event.decided_on,
        appeal_window_start(event.notified_on, event.decided_on),
        event.decided_by_id,
        event=event,
        action=action,
    )


def _route(uow: UnitOfWork, case: Case, subject_type: str, subject: _Subject) -> appeal_rules.Route:
    area = appeal_rules.AreaFact(
        case.service_area.id,
        case.service_area.name,
        case.service_area.is_corporate_ict,
        case.service_area.assistant_director_id,
    )
    return appeal_rules.route_subject(
        subject_type,
        subject.event.to_stage if subject.event else None,
        subject.action.kind if subject.action else None,
        area,
        _areas(uow),
    )


def route_for(actor: Actor, case_id: int, subject_type: str, subject_id: int, uow: UnitOfWork) -> AppealRoute:
    """Who would decide an appeal against this decision, and the alternatives if that is the
    officer who took it."""
    require(actor, Permission.RECORD_APPEALS)
    with uow:
        case = _load(uow, case_id)
        subject = _subject(uow, case, subject_type, subject_id)
        route = _route(uow, case, subject_type, subject)
        others = appeal_rules.alternatives(subject.decided_by_id, _assistant_directors(uow))
        return AppealRoute(route.decision_maker_id, route.rule, route.decision_maker_id == subject.decided_by_id,
                           tuple(AssistantDirector(p.id, p.name) for p in others))


def _lateness(uow: UnitOfWork, case: Case, subject_type: str, subject_id: int, subject: _Subject,
              received_on: dt.date, late_reason: str) -> bool:
    """Whether the appeal is late (after the 28-day window); refused if it cannot be logged."""
    if subject.spoc is not None and subject.spoc.status != RegisterStatus.ACTIVE:
        raise PolicyError("That SPOC has ended, so there is nothing in force to appeal against.")
    if received_on < subject.decided_on:
        raise PolicyError("The appeal cannot be received before the decision was made.")
    if uow.session.scalar(select(Appeal.id).where(
            Appeal.case_id == case.id, Appeal.subject_type == subject_type, Appeal.subject_id == subject_id,
            Appeal.decided_on.is_(None))):
        raise PolicyError("An appeal against this decision is already waiting for a decision.")
    start = subject.window_start
    late = is_appeal_late(start, received_on)
    if late and not late_reason:
        days = (received_on - appeal_deadline(start)).days
        what = "the SPOC's start" if subject.spoc is not None else "the decision letter"
        raise PolicyError(
            f"This appeal is late: the 28-day window from {what} of {start:%d %B %Y} closed on "
            f"{appeal_deadline(start):%d %B %Y}, and it was received {days} day(s) after that. Record the "
            "reason for accepting it late to log it.")
    return late


def _decision_maker(uow: UnitOfWork, route: appeal_rules.Route, subject: _Subject, chosen: int | None) -> int:
    """The Assistant Director chosen (or routed to), refused if not active or if they took the decision."""
    ads = _assistant_directors(uow)
    chosen = chosen or route.decision_maker_id
    if chosen not in {p.id for p in ads}:
        raise PolicyError("The decision maker must be an active Assistant Director.")
    conflict = appeal_rules.conflict_problem(chosen, subject.decided_by_id, ads)
    if conflict:
        raise PolicyError(conflict)
    return chosen


def record_appeal(
    actor: Actor,
    case_id: int,
    subject_type: str,
    subject_id: int,
    received_on: dt.date,
    grounds: str,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
    late_accepted_reason: str = "",
    decision_maker_id: int | None = None,
) -> int:
    """Log an appeal received against a stage decision ('stage_event'), a formal action
    ('formal_action') or a SPOC on the register ('spoc_entry'). A late appeal (after 28 days)
    needs a reason to accept it; it is routed to the right Assistant Director and is due 5
    working days after receipt."""
    require(actor, Permission.RECORD_APPEALS)
    today = _today(today)
    received_on = _decision_date(received_on, today, "The date the appeal was received")
    grounds = clean_text(grounds, "Grounds of appeal", required=True)
    late_reason = clean_text(late_accepted_reason, "Reason for accepting a late appeal")
    with uow:
        case = _load(uow, case_id, expected_version)
        subject = _subject(uow, case, subject_type, subject_id)
        late = _lateness(uow, case, subject_type, subject_id, subject, received_on, late_reason)
        route = _route(uow, case, subject_type, subject)
        chosen = _decision_maker(uow, route, subject, decision_maker_id)
        appeal = Appeal(case_id=case.id, subject_type=subject_type, subject_id=subject_id, received_on=received_on,
                        late=late, late_accepted_reason=late_reason if late else "", grounds=grounds,
                        decision_maker_id=chosen, due_on=appeal_decision_due(received_on),
                        recorded_by_id=actor.user_id)
        uow.session.add(appeal)
        before = snapshot(case)
        uow.flush()
        why = route.rule if chosen == route.decision_maker_id else \
            f"Routed away from the usual decision maker (who took the decision). {route.rule}"
        uow.audit(actor, "record_appeal", appeal, customer_id=case.customer_id, after=snapshot(appeal),
                  reason=why + (f" Late appeal accepted: {late_reason}" if late else ""))
        _audit_case(uow, actor, "appeal_received", case, before)
        notify.appeal_assigned(uow, appeal)  # issue 15: email the decision maker (outbox, same transaction)
        uow.commit()
        return appeal.id


def _appeal_subject_words(uow: UnitOfWork, ap: Appeal) -> str:
    """What an appeal is against, in words, for each kind of subject."""
    if ap.subject_type == SubjectType.FORMAL_ACTION:
        fa = uow.session.get(FormalAction, ap.subject_id)
        return f"Formal action: {fa.kind.label} ({fa.terms})" if fa else "Formal action"
    if ap.subject_type == SubjectType.SPOC_ENTRY:
        entry = uow.session.get(SpocEntry, ap.subject_id)
        if entry is None:
            return "Single point of contact (SPOC)"
        words = f"Single point of contact (SPOC) from {entry.starts_on:%d %B %Y}"
        if entry.status != RegisterStatus.ACTIVE:
            words += f", ended {entry.ended_on:%d %B %Y}" if entry.ended_on else ", ended"
        return words + (f" ({entry.terms})" if entry.terms else "")
    if ap.subject_type == SubjectType.STAGE_EVENT:
        ev = uow.session.get(StageEvent, ap.subject_id)
        return f"{ev.to_stage.label} decision of {ev.decided_on:%d %B %Y}" if ev else "Decision"
    return "Decision"


def appeals_for_decision_maker(actor: Actor, uow: UnitOfWork, today: dt.date | None = None,
                               include_decided: bool = False, limit: int = ASSIGNED_LIMIT) -> list[AssignedAppeal]:
    """The appeals assigned to this Assistant Director, soonest due first (at most `limit`)."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    with uow:
        stmt = (select(Appeal, Case, Customer).join(Case, Case.id == Appeal.case_id)
                .join(Customer, Customer.id == Case.customer_id).where(Appeal.decision_maker_id == actor.user_id))
        if not include_decided:
            stmt = stmt.where(Appeal.decided_on.is_(None))
        return [AssignedAppeal(
            ap.id, case.id, case.version, customer.full_name, customer.housing_ref, _appeal_subject_words(uow, ap),
            SubjectType(ap.subject_type), ap.received_on, ap.due_on, ap.late, ap.late_accepted_reason, ap.grounds,
            ap.decided_on is None and ap.due_on < today, ap.decided_on, ap.outcome)
            for ap, case, customer in uow.session.execute(stmt.order_by(Appeal.due_on, Appeal.id).limit(limit))]
