"""A team leader / manager's work: their own cases (Case.owner_id), each kind one query."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Select, and_, exists, func, literal, select
from sqlalchemy.orm import aliased

from core.enums import ActionStatus, LetterType, Stage
from core.models import (
    Appeal,
    Case,
    Customer,
    FormalAction,
    Incident,
    Letter,
    ServiceReferral,
    StageEvent,
    User,
)
from core.permissions import Actor
from core.policy.work import counting_sources, review_horizon
from core.services.work._rows import Kind, case_title

CASE_PAGE = "pages/case_actions.py"
NO_DATE = literal(None, Date)


def _case_cols(*extra):
    return (
        Case.id.label("case_id"),
        Case.customer_id.label("customer_id"),
        Customer.housing_ref.label("housing_ref"),
        *extra,
    )


def _mine(actor: Actor):
    return and_(Case.owner_id == actor.user_id, Customer.anonymised_at.is_(None))


def warning_reviews(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            Case.id.label("ref_id"),
            *_case_cols(Case.warning_review_due.label("due_on"), NO_DATE.label("since")),
        )
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            _mine(actor),
            Case.stage == Stage.WARNING,
            Case.warning_review_due <= review_horizon(today),
            (Case.warning_review_due >= today) | _counting_since_warning(),
        )
        .order_by(Case.warning_review_due, Case.id)
    )


def _latest_warning_on():
    return (
        select(func.max(StageEvent.decided_on))
        .where(StageEvent.case_id == Case.id, StageEvent.to_stage == Stage.WARNING)
        .correlate(Case)
        .scalar_subquery()
    )


def _counting_since_warning():
    """A counting incident (hearsay never counts) on the case since its warning was issued."""
    return exists().where(
        Incident.case_id == Case.id,
        Incident.evidence_source.in_(counting_sources()),
        func.date(Incident.occurred_at) >= _latest_warning_on(),
    )


def warnings_ready_to_close(actor: Actor, today: dt.date) -> Select:
    """Warnings whose review date has passed with no counting incident since: close with no further action."""
    return (
        select(
            Case.id.label("ref_id"),
            *_case_cols(Case.warning_review_due.label("due_on"), NO_DATE.label("since")),
        )
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            _mine(actor),
            Case.stage == Stage.WARNING,
            Case.warning_review_due < today,
            ~_counting_since_warning(),
        )
        .order_by(Case.warning_review_due, Case.id)
    )


def restriction_reviews(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            FormalAction.id.label("ref_id"),
            *_case_cols(
                FormalAction.review_due.label("due_on"),
                FormalAction.starts_on.label("since"),
                FormalAction.kind.label("action_kind"),
            ),
        )
        .join(Case, Case.id == FormalAction.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            _mine(actor),
            FormalAction.status == ActionStatus.ACTIVE,
            FormalAction.review_due <= review_horizon(today),
        )
        .order_by(FormalAction.review_due, FormalAction.id)
    )


def letters_to_send(actor: Actor, today: dt.date) -> Select:
    """Warning and formal decisions whose letter has not gone: the appeal window waits on it."""
    return (
        select(
            StageEvent.id.label("ref_id"),
            *_case_cols(
                NO_DATE.label("due_on"),
                StageEvent.decided_on.label("since"),
                StageEvent.to_stage.label("to_stage"),
            ),
        )
        .join(Case, Case.id == StageEvent.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            _mine(actor),
            StageEvent.notified_on.is_(None),
            StageEvent.to_stage.in_((Stage.WARNING, Stage.FORMAL)),
            Case.stage != Stage.CLOSED,
        )
        .order_by(StageEvent.decided_on, StageEvent.id)
    )


def appeal_letters_to_send(actor: Actor, today: dt.date) -> Select:
    """Appeals decided on my open cases whose outcome letter has not been sent."""
    sent = exists().where(
        Letter.letter_type == LetterType.APPEAL_OUTCOME,
        Letter.subject_id == Appeal.id,
        Letter.status == "sent",
    )
    return (
        select(
            Appeal.id.label("ref_id"), *_case_cols(NO_DATE.label("due_on"), Appeal.decided_on.label("since"))
        )
        .join(Case, Case.id == Appeal.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(_mine(actor), Appeal.decided_on.is_not(None), Case.stage != Stage.CLOSED, ~sent)
        .order_by(Appeal.decided_on, Appeal.id)
    )


def appeals_on_my_cases(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            Appeal.id.label("ref_id"),
            *_case_cols(Appeal.due_on.label("due_on"), Appeal.received_on.label("since")),
        )
        .join(Case, Case.id == Appeal.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(_mine(actor), Appeal.decided_on.is_(None))
        .order_by(Appeal.due_on, Appeal.id)
    )


def open_referrals(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            ServiceReferral.id.label("ref_id"),
            ServiceReferral.case_id.label("case_id"),
            ServiceReferral.customer_id.label("customer_id"),
            Customer.housing_ref.label("housing_ref"),
            NO_DATE.label("due_on"),
            ServiceReferral.raised_at.label("since"),
        )
        .join(Customer, Customer.id == ServiceReferral.customer_id)
        .where(
            ServiceReferral.raised_by_id == actor.user_id,
            ServiceReferral.resolved_at.is_(None),
            Customer.anonymised_at.is_(None),
        )
        .order_by(ServiceReferral.raised_at, ServiceReferral.id)
    )


def incidents_not_acted_on(actor: Actor, today: dt.date) -> Select:
    """Open cases of mine still at 'no stage yet': incidents logged, no decision taken."""
    first = func.min(Incident.occurred_at)
    return (
        select(
            Case.id.label("ref_id"),
            *_case_cols(
                NO_DATE.label("due_on"), first.label("since"), func.count(Incident.id).label("incidents")
            ),
        )
        .join(Customer, Customer.id == Case.customer_id)
        .join(Incident, Incident.case_id == Case.id)
        .where(_mine(actor), Case.stage == Stage.NONE)
        .group_by(Case.id, Case.customer_id, Customer.housing_ref)
        .order_by(first, Case.id)
    )


def needs_new_owner(actor: Actor, today: dt.date) -> Select:
    """Open cases in my service area whose owner's account is disabled (or that have no owner)."""
    owner = aliased(User)
    return (
        select(
            Case.id.label("ref_id"),
            *_case_cols(
                NO_DATE.label("due_on"), Case.opened_at.label("since"), owner.name.label("owner_name")
            ),
        )
        .join(Customer, Customer.id == Case.customer_id)
        .outerjoin(owner, owner.id == Case.owner_id)
        .where(
            Case.service_area_id == actor.service_area_id,
            Case.stage != Stage.CLOSED,
            Customer.anonymised_at.is_(None),
            (owner.id.is_(None)) | (owner.active.is_(False)),
        )
        .order_by(Case.id)
    )


def _case_params(row: dict) -> dict[str, str]:
    return {"customer_id": str(row["customer_id"]), "case_id": str(row["case_id"])}


def _owner_detail(row: dict) -> str:
    return f"Owner {row['owner_name']}'s account is disabled" if row.get("owner_name") else "No owner"


NEEDS_NEW_OWNER = Kind(
    "needs_owner",
    "Cases that need a new owner",
    "pages/case_owner.py",
    needs_new_owner,
    case_title,
    _owner_detail,
    _case_params,
)

LEADER_KINDS = (
    Kind(
        "appeals_on_cases",
        "Appeals on my cases waiting for a decision",
        "pages/timeline.py",
        appeals_on_my_cases,
        case_title,
        lambda r: f"Appeal {r['ref_id']}",
        _case_params,
    ),
    Kind(
        "warning_reviews",
        "Warning reviews due (next 30 days or overdue)",
        CASE_PAGE,
        warning_reviews,
        case_title,
        lambda r: "Warning review",
        _case_params,
    ),
    Kind(
        "restriction_reviews",
        "Restriction reviews due (next 30 days or overdue)",
        CASE_PAGE,
        restriction_reviews,
        case_title,
        lambda r: f"Review {r['action_kind'].label.lower()}",
        _case_params,
    ),
    Kind(
        "ready_to_close",
        "Warnings ready to close with no further action",
        CASE_PAGE,
        warnings_ready_to_close,
        case_title,
        lambda r: "Review date passed with no counting incident",
        _case_params,
    ),
    Kind(
        "letters_to_send",
        "Decision letters to send",
        "pages/letters.py",
        letters_to_send,
        case_title,
        lambda r: f"{r['to_stage'].label} decision letter",
        lambda r: {"case": str(r["case_id"])},
    ),
    Kind(
        "appeal_letters",
        "Appeal outcome letters to send",
        "pages/letters.py",
        appeal_letters_to_send,
        case_title,
        lambda r: f"Appeal {r['ref_id']} outcome letter",
        lambda r: {"case": str(r["case_id"])},
    ),
    Kind(
        "not_acted_on",
        "Incidents logged, no decision yet",
        CASE_PAGE,
        incidents_not_acted_on,
        case_title,
        lambda r: f"{r['incidents']} incident(s) logged",
        _case_params,
    ),
    Kind(
        "open_referrals",
        "Service referrals I raised, still open",
        "pages/timeline.py",
        open_referrals,
        lambda r: f"Referral {r['ref_id']} · {r['housing_ref']}",
        lambda r: "Service failure referred",
    ),
    NEEDS_NEW_OWNER,
)
