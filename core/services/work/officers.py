"""The Assistant Director's, the DMO's, the H&S Well-being Officer's and the administrator's work."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Select, case, exists, literal, select
from sqlalchemy.orm import aliased

from core.enums import RegisterStatus, Role, Stage
from core.models import (
    Appeal,
    Case,
    Customer,
    DataRequest,
    Incident,
    IncidentBehaviour,
    PvpConsideration,
    PvpEntry,
    ServiceArea,
    SpocEntry,
    SpocRequest,
    User,
)
from core.permissions import Actor
from core.policy import registers as register_rules
from core.policy.work import AREA_ROLES, review_horizon
from core.services.work._rows import Kind, case_title
from core.services.work.leader import NEEDS_NEW_OWNER

NO_DATE = literal(None, Date)


def _customer_cols(customer_id, case_id=None):
    return (
        customer_id.label("customer_id"),
        Customer.housing_ref.label("housing_ref"),
        (case_id if case_id is not None else literal(None)).label("case_id"),
    )


def appeals_to_decide(actor: Actor, today: dt.date) -> Select:
    """Appeals waiting for my decision: due 5 working days after receipt (stored when recorded)."""
    return (
        select(
            Appeal.id.label("ref_id"),
            *_customer_cols(Case.customer_id, Case.id),
            Appeal.due_on.label("due_on"),
            Appeal.received_on.label("since"),
        )
        .join(Case, Case.id == Appeal.case_id)
        .join(Customer, Customer.id == Case.customer_id)
        .where(Appeal.decision_maker_id == actor.user_id, Appeal.decided_on.is_(None))
        .order_by(Appeal.due_on, Appeal.id)
    )


def formal_cases_in_area(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            Case.id.label("ref_id"),
            *_customer_cols(Case.customer_id, Case.id),
            NO_DATE.label("due_on"),
            Case.opened_at.label("since"),
        )
        .join(Customer, Customer.id == Case.customer_id)
        .where(
            Case.service_area_id == actor.service_area_id,
            Case.stage == Stage.FORMAL,
            Customer.anonymised_at.is_(None),
        )
        .order_by(Case.opened_at, Case.id)
    )


def spoc_requests_waiting(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            SpocRequest.id.label("ref_id"),
            *_customer_cols(SpocRequest.customer_id, SpocRequest.case_id),
            NO_DATE.label("due_on"),
            SpocRequest.requested_at.label("since"),
        )
        .join(Customer, Customer.id == SpocRequest.customer_id)
        .where(SpocRequest.status == RegisterStatus.PENDING)
        .order_by(SpocRequest.requested_at, SpocRequest.id)
    )


def spoc_reviews_due(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            SpocEntry.id.label("ref_id"),
            *_customer_cols(SpocEntry.customer_id, SpocEntry.case_id),
            SpocEntry.review_due.label("due_on"),
            SpocEntry.starts_on.label("since"),
        )
        .join(Customer, Customer.id == SpocEntry.customer_id)
        .where(SpocEntry.status == RegisterStatus.ACTIVE, SpocEntry.review_due <= review_horizon(today))
        .order_by(SpocEntry.review_due, SpocEntry.id)
    )


def data_requests_open(actor: Actor, today: dt.date) -> Select:
    """SAR, rectification and erasure requests: due one calendar month after receipt (stored)."""
    return (
        select(
            DataRequest.id.label("ref_id"),
            *_customer_cols(DataRequest.customer_id),
            DataRequest.due_on.label("due_on"),
            DataRequest.received_on.label("since"),
            DataRequest.kind.label("request_kind"),
        )
        .join(Customer, Customer.id == DataRequest.customer_id)
        .where(DataRequest.status == "open")
        .order_by(DataRequest.due_on, DataRequest.id)
    )


def pvp_considerations(actor: Actor, today: dt.date) -> Select:
    """Open PVP considerations: the newest first, physical violence first within a day
    (core.policy.registers.MOST_SERIOUS_BEHAVIOURS)."""
    serious = case(
        (
            exists().where(
                IncidentBehaviour.incident_id == PvpConsideration.incident_id,
                IncidentBehaviour.behaviour.in_(register_rules.MOST_SERIOUS_BEHAVIOURS),
            ),
            1,
        ),
        else_=0,
    )
    return (
        select(
            PvpConsideration.id.label("ref_id"),
            *_customer_cols(PvpConsideration.customer_id),
            NO_DATE.label("due_on"),
            Incident.occurred_at.label("since"),
            serious.label("serious"),
        )
        .join(Incident, Incident.id == PvpConsideration.incident_id)
        .join(Customer, Customer.id == PvpConsideration.customer_id)
        .where(PvpConsideration.status == "open", Customer.anonymised_at.is_(None))
        .order_by(PvpConsideration.raised_at.desc(), serious.desc(), PvpConsideration.id.desc())
    )


def pvp_reviews_due(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            PvpEntry.id.label("ref_id"),
            *_customer_cols(PvpEntry.customer_id),
            PvpEntry.review_due.label("due_on"),
            PvpEntry.starts_on.label("since"),
        )
        .join(Customer, Customer.id == PvpEntry.customer_id)
        .where(PvpEntry.status == RegisterStatus.ACTIVE, PvpEntry.review_due <= review_horizon(today))
        .order_by(PvpEntry.review_due, PvpEntry.id)
    )


def pvp_notices_unsent(actor: Actor, today: dt.date) -> Select:
    """Live PVP entries with no notice to the customer and no recorded reason for not sending
    one; a reason carries a date to reconsider it, which is then the deadline."""
    return (
        select(
            PvpEntry.id.label("ref_id"),
            *_customer_cols(PvpEntry.customer_id),
            PvpEntry.reconsider_notice_on.label("due_on"),
            PvpEntry.approved_at.label("since"),
        )
        .join(Customer, Customer.id == PvpEntry.customer_id)
        .where(
            PvpEntry.status == RegisterStatus.ACTIVE,
            PvpEntry.customer_notified_on.is_(None),
            (PvpEntry.not_notified_reason == "") | (PvpEntry.reconsider_notice_on <= today),
        )
        .order_by(PvpEntry.reconsider_notice_on.is_(None), PvpEntry.reconsider_notice_on, PvpEntry.id)
    )


def users_without_area(actor: Actor, today: dt.date) -> Select:
    return (
        select(
            User.id.label("ref_id"),
            User.username.label("username"),
            NO_DATE.label("due_on"),
            User.created_at.label("since"),
        )
        .where(User.active.is_(True), User.service_area_id.is_(None), User.role.in_(tuple(AREA_ROLES)))
        .order_by(User.id)
    )


def areas_without_ad(actor: Actor, today: dt.date) -> Select:
    ad = aliased(User)
    return (
        select(
            ServiceArea.id.label("ref_id"),
            ServiceArea.name.label("area"),
            NO_DATE.label("due_on"),
            NO_DATE.label("since"),
        )
        .outerjoin(ad, ad.id == ServiceArea.assistant_director_id)
        .where((ad.id.is_(None)) | (ad.active.is_(False)) | (ad.role != Role.ASSISTANT_DIRECTOR))
        .order_by(ServiceArea.name)
    )


def _ref(prefix: str):
    return lambda r: f"{prefix} {r['ref_id']} · {r['housing_ref']}"


def _customer(r: dict) -> dict[str, str]:
    return {"customer_id": str(r["customer_id"])}


AD_KINDS = (
    Kind(
        "appeals_to_decide",
        "Appeals waiting for my decision (5 working days)",
        "pages/appeals.py",
        appeals_to_decide,
        _ref("Appeal"),
        lambda r: f"Case {r['case_id']}",
    ),
    Kind(
        "formal_cases",
        "Cases in my area at the formal stage",
        "pages/timeline.py",
        formal_cases_in_area,
        case_title,
        lambda r: "Formal stage",
    ),
    NEEDS_NEW_OWNER,
)
DMO_KINDS = (
    Kind(
        "data_requests",
        "Data requests (due one month after receipt)",
        "pages/data_requests.py",
        data_requests_open,
        _ref("Request"),
        lambda r: r["request_kind"].label,
    ),
    Kind(
        "spoc_requests",
        "SPOC requests waiting for a review meeting",
        "pages/spoc_register.py",
        spoc_requests_waiting,
        _ref("SPOC request"),
        lambda r: f"Case {r['case_id']}",
    ),
    Kind(
        "spoc_reviews",
        "SPOC reviews due (next 30 days or overdue)",
        "pages/spoc_register.py",
        spoc_reviews_due,
        _ref("SPOC"),
        lambda r: "SPOC review",
    ),
)
HSW_KINDS = (
    Kind(
        "pvp_reviews",
        "PVP reviews due (next 30 days or overdue)",
        "pages/pvp_register.py",
        pvp_reviews_due,
        _ref("PVP entry"),
        lambda r: "PVP review",
    ),
    Kind(
        "pvp_notices",
        "PVP notices not yet sent",
        "pages/pvp_register.py",
        pvp_notices_unsent,
        _ref("PVP entry"),
        lambda r: "Customer notice",
    ),
    Kind(
        "pvp_considerations",
        "PVP considerations waiting (newest and most serious first)",
        "pages/pvp_register.py",
        pvp_considerations,
        _ref("Consideration"),
        lambda r: "Physical violence" if r["serious"] else "Violence or threat",
    ),
)
ADMIN_KINDS = (
    Kind(
        "users_without_area",
        "Users without a service area",
        "pages/users.py",
        users_without_area,
        lambda r: f"User {r['username']}",
        lambda r: "Needs a service area",
        lambda r: {},
    ),
    Kind(
        "areas_without_ad",
        "Service areas without an Assistant Director",
        "pages/users.py",
        areas_without_ad,
        lambda r: str(r["area"]),
        lambda r: "Name an Assistant Director",
        lambda r: {},
    ),
)
