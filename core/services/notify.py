"""Email notices written to the outbox in the caller's transaction (issue 15).

`appeal_assigned(uow, appeal)` and `spoc_request_received(uow, request)` are one-line hooks in the
services that record them: the outbox row commits (or rolls back) with the appeal or request.
`core.reminders` queues the daily digests and sends what is pending. Messages name a case by its
number and the customer's housing reference only, never a name or an incident.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import Role
from core.models import Appeal, Case, Customer, OutboxMessage, SpocRequest, User
from core.permissions import Actor, Permission, require

STATUSES = ("pending", "sending", "sent", "failed")
OUTBOX_PAGE_SIZE = 50


@dataclass(frozen=True)
class OutboxRow:
    message_id: int
    kind: str
    recipient: str
    to_address: str
    subject: str
    body: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


def app_link(page: str, query: dict[str, str] | None = None) -> str:
    """The address of a page of the app (FT_APP_URL, e.g. https://fairtreatment.nph.example)."""
    base = config_app_url().rstrip("/")
    stem = page.rsplit("/", 1)[-1].removesuffix(".py")
    return f"{base}/{stem}" + (f"?{urlencode(query)}" if query else "")


def config_app_url() -> str:
    return os.environ.get("FT_APP_URL", "http://localhost:8501")


def queue(
    uow: UnitOfWork, *, key: str, kind: str, recipient_id: int, to_address: str, subject: str, body: str
) -> bool:
    """Add one message unless one with this key is already queued; in the caller's transaction."""
    if uow.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None:
        return False
    uow.session.add(
        OutboxMessage(
            dedupe_key=key,
            kind=kind,
            recipient_id=recipient_id,
            to_address=to_address,
            subject=subject[:200],
            body=body,
        )
    )
    return True


def appeal_assigned(uow: UnitOfWork, appeal: Appeal) -> None:
    """Tell the Assistant Director an appeal waits for their decision, with its due date."""
    uow.session.flush()
    decider = uow.session.get(User, appeal.decision_maker_id)
    ref = uow.session.scalar(
        select(Customer.housing_ref)
        .join(Case, Case.customer_id == Customer.id)
        .where(Case.id == appeal.case_id)
    )
    if decider is None or not decider.active:
        return
    subject = f"Fair Treatment: appeal {appeal.id} for your decision by {appeal.due_on:%d %b %Y}"
    body = (
        f"An appeal on case {appeal.case_id} (housing reference {ref}) is waiting for your decision.\n"
        f"Decide it by {appeal.due_on:%A %d %B %Y} (5 working days from receipt).\n\n"
        f"Open it: {app_link('pages/appeals.py')}\n"
    )
    queue(
        uow,
        key=f"appeal:{appeal.id}:{decider.id}",
        kind="appeal_assigned",
        recipient_id=decider.id,
        to_address=decider.email,
        subject=subject,
        body=body,
    )


def spoc_request_received(uow: UnitOfWork, request: SpocRequest) -> None:
    """Tell every active DMO a SPOC request waits for a review meeting."""
    uow.session.flush()
    ref = uow.session.scalar(select(Customer.housing_ref).where(Customer.id == request.customer_id))
    dmos = uow.session.scalars(select(User).where(User.role == Role.DMO, User.active.is_(True))).all()
    for dmo in dmos:
        body = (
            f"A SPOC request on case {request.case_id} (housing reference {ref}) is waiting for a "
            f"review meeting.\n\nOpen it: {app_link('pages/spoc_register.py')}\n"
        )
        queue(
            uow,
            key=f"spoc_request:{request.id}:{dmo.id}",
            kind="spoc_request",
            recipient_id=dmo.id,
            to_address=dmo.email,
            subject=f"Fair Treatment: SPOC request {request.id} waiting for a review meeting",
            body=body,
        )


def outbox(actor: Actor, uow: UnitOfWork, status: str = "", limit: int = OUTBOX_PAGE_SIZE) -> list[OutboxRow]:
    """The newest messages first, optionally one status: what an administrator reads."""
    require(actor, Permission.READ_OUTBOX)
    stmt = (
        select(OutboxMessage, User.username)
        .join(User, User.id == OutboxMessage.recipient_id)
        .order_by(OutboxMessage.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    if status in STATUSES:
        stmt = stmt.where(OutboxMessage.status == status)
    with uow:
        return [
            OutboxRow(
                m.id,
                m.kind,
                username,
                m.to_address,
                m.subject,
                m.body,
                m.status,
                m.attempts,
                m.last_error,
                m.created_at,
                m.sent_at,
            )
            for m, username in uow.session.execute(stmt).all()
        ]
