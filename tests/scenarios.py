"""Scenario builders so a test sets up a case in a line or two."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core.auth import actor_from_user
from core.db import UnitOfWork
from core.models import ServiceArea, User
from core.permissions import Actor
from core.services.customers import CustomerDetails, create_customer
from core.services.incidents import NewIncident, log_incident

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def demo_actors(url: str) -> dict[str, Actor]:
    """username -> Actor for the demo staff (teamleader, dmo, hsw, ad.housing, ..., admin)."""
    with UnitOfWork(url) as uow:
        return {u.username: actor_from_user(u) for u in uow.session.scalars(select(User))}


def area_id(url: str, name: str = "Housing Management") -> int:
    with UnitOfWork(url) as uow:
        return uow.session.execute(select(ServiceArea.id).where(ServiceArea.name == name)).scalar_one()


def a_customer(
    url: str,
    actor: Actor,
    ref: str = "NPH900001",
    first: str = "Siân",
    last: str = "O'Brien-Nkemelu",
    **extra,
) -> int:
    details = CustomerDetails(
        first_name=first,
        last_name=last,
        housing_ref=ref,
        address_line1="12 Abington Street",
        town="Northampton",
        postcode="NN1 2AA",
        service_area_id=area_id(url),
        **extra,
    )
    return create_customer(actor, details, UnitOfWork(url))


def an_incident(
    url: str, actor: Actor, customer_id: int, when: dt.datetime | None = None, **overrides
) -> int:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "occurred_at": when or NOW - dt.timedelta(days=1),
        "channel": "phone",
        "category": "aggressive",
        "behaviours": ["threatening_language"],
        "description": "The customer shouted and swore at the call handler.",
        "evidence_source": "first_hand",
    }
    values.update(overrides)
    return log_incident(actor, NewIncident(**values), UnitOfWork(url), now=NOW)
