"""Appeals (clause 4.2): routing, recording and deciding, and the Assistant Director's list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import (
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
    StageEvent,
    User,
)
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy.deadlines import appeal_decision_due
from core.services import notify
from core.services.cases._common import (
    _audit_case,
    _decision_date,
    _load,
    _today,
)
from core.services.cases.appeal_subjects import AppealSubject, load_subject
from core.services.cases.views import AppealRoute, AssignedAppeal, AssistantDirector
from core.validation import clean_text

ASSIGNED_LIMIT = 200  # appeals listed for one Assistant Director (open ones are few; decided ones pile up)


def _areas(uow: UnitOfWork) -> list[appeal_rules.AreaFact]:
    return [
        appeal_rules.AreaFact(a.id, a.name, a.is_corporate_ict, a.assistant_director_id)
        for a in uow.session.scalars(select(ServiceArea))
    ]


def _assistant_directors(uow: UnitOfWork) -> list[appeal_rules.PersonFact]:
    return [
        appeal_rules.PersonFact(u.id, u.name)
        for u in uow.session.scalars(
            select(User)
            .where(User.role == Role.ASSISTANT_DIRECTOR, User.active.is_(True))
            .order_by(User.name)
        )
    ]


def _subject(uow: UnitOfWork, case: Case, subject_type: str, subject_id: int) -> AppealSubject:
    return load_subject(uow, case, subject_type, subject_id)


def _route(uow: UnitOfWork, case: Case, subject_type: str, subject: AppealSubject) -> appeal_rules.Route:
    area = appeal_rules.AreaFact(
        case.service_area.id,
        case.service_area.name,
        case.service_area.is_corporate_ict,
        case.service_area.assistant_director_id,
    )
    return appeal_rules.route_subject(
        subject_type, subject.stage, subject.action_kind, area, _areas(uow), about_spoc=subject.about_spoc
    )


def route_for(actor: Actor, case_id: int, subject_type: str, subject_id: int, uow: UnitOfWork) -> AppealRoute:
    """Who would decide an appeal against this decision, and the alternatives if that is the
    officer who took it."""
    require(actor, Permission.RECORD_APPEALS)
    with uow:
        case = _load(uow, case_id)
        subject = _subject(uow, case, subject_type, subject_id)
        route = _route(uow, case, subject_type, subject)
        others = [p for p in _assistant_directors(uow) if p.id not in subject.took_part]
        conflict = route.decision_maker_id in subject.took_part
        return AppealRoute(
            route.decision_maker_id,
            route.rule,
            conflict,
            tuple(AssistantDirector(p.id, p.name) for p in others) if conflict else (),
        )


def _lateness(
    uow: UnitOfWork,
    case: Case,
    subject_type: str,
    subject_id: int,
    subject: AppealSubject,
    received_on: dt.date,
    late_reason: str,
) -> bool:
    """Whether the appeal is late (after the decision's one appeal-by date); refused if it cannot be logged."""
    if subject.ended:
        raise PolicyError(subject.ended)
    if received_on < subject.decided_on:
        raise PolicyError("The appeal cannot be received before the decision was made.")
    if uow.session.scalar(
        select(Appeal.id).where(
            Appeal.case_id == case.id,
            Appeal.subject_type == subject_type,
            Appeal.subject_id == subject_id,
            Appeal.decided_on.is_(None),
        )
    ):
        raise PolicyError("An appeal against this decision is already waiting for a decision.")
    clock = subject.clock
    late = clock.is_late(received_on)
    if late and not late_reason:
        raise PolicyError(
            f"This appeal is late: the customer was told of the decision on {clock.informed_on:%d %B %Y}, "
            f"so the 28 days to appeal ended on {clock.appeal_by:%d %B %Y}, and it was received "
            f"{clock.days_late(received_on)} day(s) after that. Record the reason for accepting it late to log it."
        )
    return late


def _decision_maker(
    uow: UnitOfWork, route: appeal_rules.Route, subject: AppealSubject, chosen: int | None
) -> appeal_rules.DecisionMaker:
    """The Assistant Director the rule names; another only when that one took part in the decision."""
    return appeal_rules.choose_decision_maker(route, chosen, subject.took_part, _assistant_directors(uow))


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
    ('formal_action'), a review outcome that continued or varied one ('review'), a SPOC on the
    register ('spoc_entry') or a PVP marker ('pvp_entry'). A late appeal (after the decision's
    appeal-by date) needs a reason to accept it; it goes to the Assistant Director the rule names
    (another only when that one took part in the decision) and is due 5 working days after receipt."""
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
        appeal = Appeal(
            case_id=case.id,
            subject_type=subject_type,
            subject_id=subject_id,
            received_on=received_on,
            late=late,
            late_accepted_reason=late_reason if late else "",
            grounds=grounds,
            decision_maker_id=chosen.decision_maker_id,
            due_on=appeal_decision_due(received_on),
            recorded_by_id=actor.user_id,
        )
        uow.session.add(appeal)
        before = snapshot(case)
        uow.flush()
        why = f"{route.rule} {chosen.conflict}".strip()
        uow.audit(
            actor,
            "record_appeal",
            appeal,
            customer_id=case.customer_id,
            after=snapshot(appeal),
            reason=why + (f" Late appeal accepted: {late_reason}" if late else ""),
        )
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


def appeals_for_decision_maker(
    actor: Actor,
    uow: UnitOfWork,
    today: dt.date | None = None,
    include_decided: bool = False,
    limit: int = ASSIGNED_LIMIT,
) -> list[AssignedAppeal]:
    """The appeals assigned to this Assistant Director, soonest due first (at most `limit`)."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    with uow:
        stmt = (
            select(Appeal, Case, Customer)
            .join(Case, Case.id == Appeal.case_id)
            .join(Customer, Customer.id == Case.customer_id)
            .where(Appeal.decision_maker_id == actor.user_id)
        )
        if not include_decided:
            stmt = stmt.where(Appeal.decided_on.is_(None))
        return [
            AssignedAppeal(
                ap.id,
                case.id,
                case.version,
                customer.full_name,
                customer.housing_ref,
                _appeal_subject_words(uow, ap),
                SubjectType(ap.subject_type),
                ap.received_on,
                ap.due_on,
                ap.late,
                ap.late_accepted_reason,
                ap.grounds,
                ap.decided_on is None and ap.due_on < today,
                ap.decided_on,
                ap.outcome,
            )
            for ap, case, customer in uow.session.execute(
                stmt.order_by(Appeal.due_on, Appeal.id).limit(limit)
            )
        ]
