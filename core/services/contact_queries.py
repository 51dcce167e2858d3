"""The owner's home-page list of contacts outside an arrangement (issue 16 item 2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import Stage
from core.models import Case, ContactLog, Customer
from core.permissions import Actor, Permission, require


@dataclass(frozen=True)
class OutsideRow:
    contact_id: int
    case_id: int
    customer_id: int
    customer: str
    occurred_at: dt.datetime
    reasons: tuple[str, ...]


def outside_for_owner(
    actor: Actor, uow: UnitOfWork, *, since: dt.datetime | None = None, limit: int = 50
) -> list[OutsideRow]:
    """Contacts outside an arrangement on the open cases the actor owns (opened), newest first."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        stmt = (
            select(ContactLog, Customer)
            .join(Case, Case.id == ContactLog.case_id)
            .join(Customer, Customer.id == ContactLog.customer_id)
            .where(
                Case.opened_by_id == actor.user_id,
                Case.stage != Stage.CLOSED,
                ContactLog.outside_arrangement.is_(True),
            )
        )
        if since is not None:
            stmt = stmt.where(ContactLog.occurred_at >= since)
        rows = uow.session.execute(
            stmt.order_by(ContactLog.occurred_at.desc(), ContactLog.id.desc()).limit(limit)
        ).all()
        return [
            OutsideRow(e.id, e.case_id or 0, c.id, c.full_name, e.occurred_at, tuple(e.outside_reasons or ()))
            for e, c in rows
        ]
