"""Scenario builders so a test sets up a case in a line or two."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core.auth import actor_from_user
from core.db import UnitOfWork
from core.enums import Behaviour, Category, Channel, EvidenceSource
from core.models import Customer, Incident, IncidentBehaviour, ServiceArea, User
from core.permissions import Actor
from core.services.customers import CustomerDetails, create_customer
from core.services.incidents import NewIncident, apply_incident_effects, log_incident

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
    if values["evidence_source"] == EvidenceSource.HEARSAY.value:
        return a_legacy_hearsay_incident(url, actor, NewIncident(**values))
    return log_incident(actor, NewIncident(**values), UnitOfWork(url), now=NOW)


def a_legacy_hearsay_incident(url: str, actor: Actor, form: NewIncident) -> int:
    """A hearsay incident as a database from before migration 0011 may still hold one: log_incident
    refuses hearsay now (issue 13 item 7), so it is written directly, with the usual side effects,
    for the tests proving that such a record never grounds a decision."""
    with UnitOfWork(url) as uow:
        customer = uow.session.get(Customer, form.customer_id)
        assert customer is not None
        incident = Incident(
            customer_id=form.customer_id,
            service_area_id=form.service_area_id or actor.service_area_id or customer.service_area_id,
            recorded_by_id=actor.user_id,
            occurred_at=form.occurred_at,
            channel=Channel(form.channel),
            category=Category(form.category),
            description=form.description,
            evidence_source=EvidenceSource.HEARSAY,
            third_party_name=form.third_party_name,
            violence_or_threat=form.violence_or_threat,
            police_reference=form.police_reference,
            police_not_referred_reason=form.police_not_referred_reason,
            in_person_adjustment=form.violence_or_threat,
        )
        incident.behaviours = [IncidentBehaviour(behaviour=Behaviour(b)) for b in form.behaviours]
        apply_incident_effects(uow, actor, incident, form)
        uow.commit()
        return incident.id
