"""Logging incidents (clauses 3, 4.1, 4.2): the violence path, service-failure referrals and
the hearsay rule. An incident joins the customer's open case, or opens one."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import Behaviour, Category, Channel, EvidenceSource, Stage
from core.errors import NotFound, PolicyError
from core.models import (
    Case, Customer, Incident, IncidentBehaviour, PvpConsideration, ServiceArea, ServiceReferral, utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import incidents as rules
from core.validation import clean_line, clean_text, not_in_future, parse_enum


@dataclass
class NewIncident:
    customer_id: int
    occurred_at: dt.datetime
    channel: str
    category: str
    behaviours: list[str]
    description: str
    evidence_source: str
    service_area_id: Optional[int] = None
    third_party_name: str = ""
    witnesses: str = ""
    staff_affected: str = ""
    violence_or_threat: bool = False
    police_reference: str = ""
    police_not_referred_reason: str = ""
    service_failure: bool = False
    referral_service_area_id: Optional[int] = None
    referral_description: str = ""
    extra: dict = field(default_factory=dict)


def _validated(actor: Actor, new: NewIncident, now: dt.datetime) -> dict:
    """Every check on the form at once, so the user sees all problems together."""
    problems: list[str] = []
    if not new.category:
        raise PolicyError("Choose a behaviour category.")
    category = parse_enum(Category, new.category, "Category")
    behaviours = [parse_enum(Behaviour, b, "Behaviour") for b in dict.fromkeys(new.behaviours or [])]
    source = parse_enum(EvidenceSource, new.evidence_source, "Evidence source")
    values = {
        "occurred_at": not_in_future(new.occurred_at, "Date and time of the incident", now),
        "channel": parse_enum(Channel, new.channel, "Channel"),
        "category": category,
        "description": clean_text(new.description, "Description", required=True),
        "evidence_source": source,
        "third_party_name": clean_line(new.third_party_name, "Third party's name"),
        "witnesses": clean_text(new.witnesses, "Witnesses", max_len=2000),
        "staff_affected": clean_line(new.staff_affected, "Staff or contractor affected"),
        "violence_or_threat": bool(new.violence_or_threat),
        "police_reference": clean_line(new.police_reference, "Police reference", max_len=60),
        "police_not_referred_reason": clean_text(new.police_not_referred_reason,
                                                 "Reason for no police referral", max_len=2000),
        "service_failure": bool(new.service_failure),
    }
    problems += rules.behaviour_problems(category, behaviours)
    problems += rules.evidence_problems(source, values["third_party_name"])
    problems += rules.violence_problems(values["violence_or_threat"], values["police_reference"],
                                        values["police_not_referred_reason"])
    if new.service_failure and not new.referral_service_area_id:
        problems.append("Name the service area the service failure is referred to.")
    if new.service_failure and not (new.referral_description or "").strip():
        problems.append("Describe the service failure for the referral.")
    if problems:
        raise PolicyError(" ".join(problems))
    values["in_person_adjustment"] = values["violence_or_threat"]
    return values | {"behaviours": behaviours}


def open_case_for(uow: UnitOfWork, actor: Actor, customer: Customer, service_area_id: int) -> Case:
    """The customer's open case, or a new one at 'no stage yet'."""
    case = uow.session.scalar(
        select(Case).where(Case.customer_id == customer.id, Case.stage != Stage.CLOSED)
        .order_by(Case.id.desc()).limit(1))
    if case is None:
        case = Case(customer_id=customer.id, service_area_id=service_area_id,
                    opened_by_id=actor.user_id, stage=Stage.NONE)
        uow.session.add(case)
        uow.audit(actor, "open_case", case, after=snapshot(case))
    return case


def log_incident(actor: Actor, new: NewIncident, uow: UnitOfWork,
                 now: Optional[dt.datetime] = None) -> int:
    """Record an incident; returns its id. Nothing is saved if any check fails."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    values = _validated(actor, new, now)
    behaviours = values.pop("behaviours")
    with uow:
        customer = uow.session.get(Customer, new.customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        area_id = new.service_area_id or actor.service_area_id or customer.service_area_id
        if area_id is None or uow.session.get(ServiceArea, area_id) is None:
            raise PolicyError("Choose the service area the incident belongs to.")
        case = open_case_for(uow, actor, customer, area_id)
        incident = Incident(customer_id=customer.id, case=case, service_area_id=area_id,
                            recorded_by_id=actor.user_id, **values)
        incident.behaviours = [IncidentBehaviour(behaviour=b) for b in behaviours]
        uow.session.add(incident)
        uow.audit(actor, "log_incident", incident,
                  after=snapshot(incident) | {"behaviours": [b.value for b in behaviours]})
        if incident.violence_or_threat:
            consideration = PvpConsideration(incident_id=incident.id, customer_id=customer.id)
            uow.session.add(consideration)
            uow.audit(actor, "raise_pvp_consideration", consideration, after=snapshot(consideration))
        if incident.service_failure:
            if uow.session.get(ServiceArea, new.referral_service_area_id) is None:
                raise PolicyError("The service area for the referral does not exist.")
            referral = ServiceReferral(
                incident_id=incident.id, customer_id=customer.id, case_id=case.id,
                service_area_id=new.referral_service_area_id, raised_by_id=actor.user_id,
                description=clean_text(new.referral_description, "Referral description", required=True))
            uow.session.add(referral)
            uow.audit(actor, "raise_service_referral", referral, after=snapshot(referral))
        uow.commit()
        return incident.id
