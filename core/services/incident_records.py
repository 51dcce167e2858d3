"""Reading incidents and service-failure referrals (typed rows with real dates), and marking a
referral resolved. Re-exported by core.services.incidents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Category, Channel, EvidenceSource
from core.errors import NotFound, PolicyError
from core.models import Incident, ServiceArea, ServiceReferral, utcnow
from core.permissions import Actor, Permission, require
from core.readmodel import ReadModel
from core.services.arrangements import interim_in_person
from core.validation import clean_text


@dataclass(frozen=True)
class IncidentRecord(ReadModel):
    """One incident as the correction form starts from it. `version` goes back as expected_version."""

    id: int
    customer_id: int
    case_id: int | None
    service_area_id: int
    occurred_at: dt.datetime
    channel: Channel
    category: Category
    behaviours: list[str]
    description: str
    evidence_source: EvidenceSource
    third_party_name: str
    witnesses: str
    staff_affected: str
    violence_or_threat: bool
    police_reference: str
    police_not_referred_reason: str
    in_person_adjustment: bool
    in_person_arrangement: str
    service_failure: bool
    counts_as_evidence: bool
    recorded_by_id: int
    recorded_at: dt.datetime
    amended_at: dt.datetime | None
    amended_by_id: int | None
    version: int


@dataclass(frozen=True)
class IncidentRow(ReadModel):
    """A short row for picking an incident to correct."""

    id: int
    occurred_at: dt.datetime
    category: Category
    category_label: str
    counts_as_evidence: bool
    description: str


def get_incident(actor: Actor, incident_id: int, uow: UnitOfWork) -> IncidentRecord:
    """One incident (for the correction form)."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        i = uow.session.get(Incident, incident_id)
        if i is None:
            raise NotFound("No such incident.")
        return IncidentRecord(
            id=i.id,
            customer_id=i.customer_id,
            case_id=i.case_id,
            service_area_id=i.service_area_id,
            occurred_at=i.occurred_at,
            channel=i.channel,
            category=i.category,
            behaviours=sorted(b.behaviour.value for b in i.behaviours),
            description=i.description,
            evidence_source=i.evidence_source,
            third_party_name=i.third_party_name,
            witnesses=i.witnesses,
            staff_affected=i.staff_affected,
            violence_or_threat=i.violence_or_threat,
            police_reference=i.police_reference,
            police_not_referred_reason=i.police_not_referred_reason,
            in_person_adjustment=i.in_person_adjustment,
            in_person_arrangement=i.in_person_arrangement,
            service_failure=i.service_failure,
            counts_as_evidence=i.counts_as_evidence,
            recorded_by_id=i.recorded_by_id,
            recorded_at=i.recorded_at,
            amended_at=i.amended_at,
            amended_by_id=i.amended_by_id,
            version=i.version,
        )


def list_incidents(actor: Actor, customer_id: int, uow: UnitOfWork, limit: int = 200) -> list[IncidentRow]:
    """A customer's incidents, newest first (the latest `limit`), for picking one to correct."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = uow.session.scalars(
            select(Incident)
            .where(Incident.customer_id == customer_id)
            .order_by(Incident.occurred_at.desc(), Incident.id.desc())
            .limit(limit)
        ).all()
        return [
            IncidentRow(
                id=i.id,
                occurred_at=i.occurred_at,
                category=i.category,
                category_label=i.category.label,
                counts_as_evidence=i.counts_as_evidence,
                description=i.description,
            )
            for i in rows
        ]


@dataclass(frozen=True)
class SavedIncident(ReadModel):
    """What the save message tells the recorder: where the incident was filed and the interim
    in-person arrangements now in force for the customer (clause 4.1), without reasons."""

    incident_id: int
    case_id: int | None
    service_area: str
    interim_in_person: tuple[str, ...]

    @property
    def message(self) -> str:
        text = f"Incident #{self.incident_id} saved."
        text += f" Filed to the {self.service_area} case #{self.case_id}." if self.case_id else ""
        if self.interim_in_person:
            text += (
                " Interim in-person arrangement now in force for this customer: "
                + "; ".join(self.interim_in_person)
                + ". Everyone who contacts or visits them sees it until the H&S Well-being Officer "
                "decides the PVP consideration."
            )
        return text


def saved_incident(actor: Actor, incident_id: int, uow: UnitOfWork) -> SavedIncident:
    """The save message's facts for an incident just logged or corrected."""
    require(actor, Permission.RECORD_INCIDENTS)
    with uow:
        i = uow.session.get(Incident, incident_id)
        if i is None:
            raise NotFound("No such incident.")
        area = uow.session.get(ServiceArea, i.service_area_id)
        return SavedIncident(
            i.id, i.case_id, area.name if area else "", interim_in_person(uow.session, i.customer_id)
        )


@dataclass(frozen=True)
class ReferralRow(ReadModel):
    """A service-failure referral (principle 'we have resolved the problem')."""

    id: int
    customer_id: int
    incident_id: int | None
    service_area: str
    description: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str
    open: bool


def list_service_referrals(
    actor: Actor, uow: UnitOfWork, customer_id: int | None = None, open_only: bool = True
) -> list[ReferralRow]:
    """Service-failure referrals, oldest first."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        stmt = select(ServiceReferral, ServiceArea.name).join(
            ServiceArea, ServiceArea.id == ServiceReferral.service_area_id
        )
        if customer_id is not None:
            stmt = stmt.where(ServiceReferral.customer_id == customer_id)
        if open_only:
            stmt = stmt.where(ServiceReferral.resolved_at.is_(None))
        rows = uow.session.execute(stmt.order_by(ServiceReferral.raised_at, ServiceReferral.id)).all()
        return [
            ReferralRow(
                id=r.id,
                customer_id=r.customer_id,
                incident_id=r.incident_id,
                service_area=area,
                description=r.description,
                raised_at=r.raised_at,
                resolved_at=r.resolved_at,
                resolution=r.resolution,
                open=r.resolved_at is None,
            )
            for r, area in rows
        ]


def resolve_service_referral(
    actor: Actor, referral_id: int, resolution: str, uow: UnitOfWork, now: dt.datetime | None = None
) -> None:
    """Mark a service-failure referral resolved, saying what was done. It stays open until then."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    resolution = clean_text(resolution, "What was done to resolve it", required=True, max_len=5000)
    with uow:
        referral = uow.session.get(ServiceReferral, referral_id)
        if referral is None:
            raise NotFound("No such service referral.")
        if referral.resolved_at is not None:
            raise PolicyError("This service referral is already marked resolved.")
        before = snapshot(referral)
        referral.resolved_at = now
        referral.resolved_by_id = actor.user_id
        referral.resolution = resolution
        old, new = changed_fields(before, snapshot(referral))
        uow.audit(actor, "resolve_service_referral", referral, before=old, after=new, reason=resolution)
        uow.commit()
