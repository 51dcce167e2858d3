"""Logging, listing and closing data-protection requests; the access log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import DataRequestKind
from core.errors import PolicyError
from core.models import (
    AccessLog,
    Customer,
    DataRequest,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.policy.deadlines import sar_due
from core.services.dataprotection._common import (
    _close,
    _customer,
    _get_request,
)
from core.validation import clean_line, clean_text, parse_enum

# ---- requests -----------------------------------------------------------------------------


def log_request(
    actor: Actor,
    customer_id: int,
    kind: str,
    received_on: dt.date,
    identity_checked: bool,
    details: str,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """Log a subject access, rectification or erasure request; due one calendar month later."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    kind = parse_enum(DataRequestKind, kind, "Kind of request")
    if not isinstance(received_on, dt.date):
        raise PolicyError("Enter the date the request was received.")
    if received_on > today:
        raise PolicyError("The date received cannot be in the future.")
    details = clean_text(details, "What the request asks for", required=kind != DataRequestKind.SAR)
    with uow:
        customer = _customer(uow, customer_id)
        if customer.anonymised_at is not None:
            raise PolicyError("This customer's personal data has already been erased.")
        same_kind = uow.session.execute(
            select(DataRequest.id, DataRequest.received_on, DataRequest.details).where(
                DataRequest.customer_id == customer_id, DataRequest.kind == kind, DataRequest.status == "open"
            )
        ).all()
        repeated = rules.identical_request(
            [(r.id, r.received_on, r.details) for r in same_kind], received_on, details
        )
        if repeated is not None:
            raise PolicyError(
                f"This request is already logged as request #{repeated} (received "
                f"{received_on:%d %B %Y}), which is still open. Nothing was logged."
            )
        request = DataRequest(
            customer_id=customer_id,
            kind=kind,
            received_on=received_on,
            due_on=sar_due(received_on),
            identity_checked=bool(identity_checked),
            details=details,
            logged_by_id=actor.user_id,
        )
        uow.session.add(request)
        uow.audit(actor, "log_data_request", request, after=snapshot(request))
        uow.commit()
        return request.id


def confirm_identity(actor: Actor, request_id: int, how: str, uow: UnitOfWork) -> None:
    """Record that the requester's identity has now been checked (and how)."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    how = clean_text(how, "How the identity was checked", required=True, max_len=2000)
    with uow:
        request = _get_request(uow, request_id)
        if request.identity_checked:
            raise PolicyError("The identity on this request is already confirmed.")
        request.identity_checked = True
        uow.audit(
            actor,
            "confirm_identity",
            request,
            before={"identity_checked": False},
            after={"identity_checked": True},
            reason=how,
        )
        uow.commit()


@dataclass(frozen=True)
class DataRequestRow:
    """One data-protection request as the DMO's lists show it."""

    id: int
    customer_id: int
    customer: str  # "Full Name (REF)"
    kind: DataRequestKind
    kind_label: str
    received_on: dt.date
    due_on: dt.date
    days_left: int
    overdue: bool
    identity_checked: bool
    status: str
    decision: str
    decision_reason: str
    details: str
    logged_at: dt.datetime | None = None


def _as_row(r: DataRequest, c: Customer, today: dt.date) -> DataRequestRow:
    return DataRequestRow(
        id=r.id,
        customer_id=c.id,
        customer=f"{c.full_name} ({c.housing_ref})",
        kind=r.kind,
        kind_label=r.kind.label,
        received_on=r.received_on,
        due_on=r.due_on,
        days_left=(r.due_on - today).days,
        overdue=r.status == "open" and r.due_on < today,
        identity_checked=r.identity_checked,
        status=r.status,
        decision=r.decision,
        decision_reason=r.decision_reason,
        details=r.details,
    )


def list_requests(
    actor: Actor, uow: UnitOfWork, today: dt.date | None = None, include_closed: bool = False
) -> list[DataRequestRow]:
    """Requests with their due dates, soonest first; `overdue` when open past the due date.
    Open requests are few (each is answered within a month), so the list is not paged."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    with uow:
        stmt = select(DataRequest, Customer).join(Customer, Customer.id == DataRequest.customer_id)
        if not include_closed:
            stmt = stmt.where(DataRequest.status == "open")
        rows = uow.session.execute(stmt.order_by(DataRequest.due_on, DataRequest.id)).all()
        return [_as_row(r, c, today) for r, c in rows]


def open_requests_like(
    actor: Actor, request_id: int, uow: UnitOfWork, today: dt.date | None = None
) -> list[DataRequestRow]:
    """The other open requests of the same kind for the same person (a possible duplicate)."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    with uow:
        request = _get_request(uow, request_id)
        rows = uow.session.execute(
            select(DataRequest, Customer)
            .join(Customer, Customer.id == DataRequest.customer_id)
            .where(
                DataRequest.customer_id == request.customer_id,
                DataRequest.kind == request.kind,
                DataRequest.status == "open",
                DataRequest.id != request.id,
            )
            .order_by(DataRequest.id)
        ).all()
        return [_as_row(r, c, today) for r, c in rows]


def complete_request(
    actor: Actor, request_id: int, outcome: str, reason: str, uow: UnitOfWork, now: dt.datetime | None = None
) -> None:
    """Close a request: a SAR as 'released' once the pack is sent, or any request as 'refused'."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    outcome = clean_line(outcome, "Outcome", required=True, max_len=20).lower()
    if outcome not in ("released", "refused"):
        raise PolicyError("The outcome must be 'released' (pack sent) or 'refused'.")
    reason = clean_text(reason, "Reason", required=outcome == "refused")
    with uow:
        request = _get_request(uow, request_id)
        if request.status != "open":
            raise PolicyError(f"Request {request_id} is already closed.")
        if outcome == "released" and request.kind != DataRequestKind.SAR:
            raise PolicyError("Only a subject access request is closed as 'released'.")
        if outcome == "released" and not request.identity_checked:
            raise PolicyError("The requester's identity has not been checked.")
        _close(uow, actor, request, outcome, reason, now)
        uow.commit()


# ---- access log -----------------------------------------------------------------------------


def record_access(actor: Actor, customer_id: int, what: str, uow: UnitOfWork) -> None:
    """Record that this user viewed a customer's records (who, when, what)."""
    require(actor, Permission.VIEW_CASES)
    what = clean_line(what or "case", "What was viewed", max_len=60)
    with uow:
        _customer(uow, customer_id)
        uow.session.add(AccessLog(user_id=actor.user_id, customer_id=customer_id, what=what))
        uow.commit()
