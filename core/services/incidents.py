"""Logging incidents (clauses 3, 4.1, 4.2): the violence path, service-failure referrals, the
refusal of hearsay (clauses 4.2, 6: kept only as a check note, core.services.check_notes), the
interim in-person arrangement a violent incident puts in force (clause 4.1) and the
factual-language prompt. An incident joins the customer's open case in the service area it
happened in, or opens one there (clause 5). Corrections (clause 6) need a reason and keep the
earlier version in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import EvidenceSource, Stage
from core.errors import NotFound, PolicyError, StaleRecord
from core.models import (
    Case,
    Customer,
    Incident,
    IncidentBehaviour,
    PvpConsideration,
    ServiceArea,
    ServiceReferral,
    utcnow,
)
from core.permissions import Actor, Permission, require, require_area
from core.policy import incidents as rules
from core.services import registers
from core.services.incident_input import (  # noqa: F401  (public names, kept importable here)
    IncidentProblems,
    NewIncident,
    WordingToCheck,
    _validated,
    language_flags,
)
from core.services.incident_records import (  # noqa: F401  (public names, kept importable here)
    IncidentRecord,
    IncidentRow,
    ReferralRow,
    SavedIncident,
    get_incident,
    list_incidents,
    list_service_referrals,
    resolve_service_referral,
    saved_incident,
)
from core.validation import clean_line, clean_text


def open_case_for(uow: UnitOfWork, actor: Actor, customer: Customer, service_area_id: int) -> Case:
    """The customer's open case in the service area, or a new one there at 'no stage yet' (clause
    5: cases are managed within service areas; a customer may have open cases in several)."""
    # Lock the customer's row first (a no-op UPDATE: a row lock on PostgreSQL, the write lock
    # on SQLite), so two incidents logged at once for the same customer join one case rather
    # than each opening a case of its own.
    uow.session.execute(
        update(Customer)
        .where(Customer.id == customer.id)
        .values(id=Customer.id)
        .execution_options(synchronize_session=False)
    )
    case = uow.session.scalar(
        select(Case)
        .where(
            Case.customer_id == customer.id,
            Case.service_area_id == service_area_id,
            Case.stage != Stage.CLOSED,
        )
        .order_by(Case.id.desc())
        .limit(1)
    )
    if case is None:
        case = Case(
            customer_id=customer.id,
            service_area_id=service_area_id,
            opened_by_id=actor.user_id,
            stage=Stage.NONE,
        )
        uow.session.add(case)
        uow.audit(actor, "open_case", case, after=snapshot(case))
    return case


def apply_incident_effects(
    uow: UnitOfWork, actor: Actor, incident: Incident, form: NewIncident, before: dict | None = None
) -> None:
    """The one place for what follows from an incident, when it is logged and when it is corrected
    (`before`: the incident's values before the correction): the case it belongs to is found or
    opened; violence or a threat newly on record (or a violent incident that newly counts as
    evidence) raises a PVP consideration once and restarts a live PVP entry's 12-month review
    clock; a newly ticked service failure raises a referral to the service area."""
    if incident.case_id is None and incident.case is None:
        customer = uow.session.get(Customer, incident.customer_id)
        if customer is None:
            raise NotFound("No such customer.")
        incident.case = open_case_for(uow, actor, customer, incident.service_area_id)
    uow.session.add(incident)
    uow.flush()
    was_violent = bool(before and before["violence_or_threat"])
    counted_before = bool(before and rules.counts_as_evidence(EvidenceSource(before["evidence_source"])))
    if incident.violence_or_threat:
        if not was_violent:
            _raise_pvp_consideration(uow, actor, incident)
        if rules.counts_as_evidence(incident.evidence_source) and not (was_violent and counted_before):
            registers.restart_pvp_clock(uow, incident.customer_id, incident.occurred_at.date(), actor=actor)
    if incident.service_failure and not (before and before["service_failure"]):
        if uow.session.get(ServiceArea, form.referral_service_area_id) is None:
            raise PolicyError("The service area for the referral does not exist.")
        referral = ServiceReferral(
            incident_id=incident.id,
            customer_id=incident.customer_id,
            case_id=incident.case_id,
            service_area_id=form.referral_service_area_id,
            raised_by_id=actor.user_id,
            description=clean_text(form.referral_description, "Referral description", required=True),
        )
        uow.session.add(referral)
        uow.audit(actor, "raise_service_referral", referral, after=snapshot(referral))


def _raise_pvp_consideration(uow: UnitOfWork, actor: Actor, incident: Incident) -> None:
    """Ask the H&S Well-being Officer to consider the PVP register, once per incident."""
    if uow.session.scalar(select(PvpConsideration.id).where(PvpConsideration.incident_id == incident.id)):
        return
    consideration = PvpConsideration(incident_id=incident.id, customer_id=incident.customer_id)
    uow.session.add(consideration)
    uow.audit(actor, "raise_pvp_consideration", consideration, after=snapshot(consideration))


def log_incident(actor: Actor, new: NewIncident, uow: UnitOfWork, now: dt.datetime | None = None) -> int:
    """Record an incident; returns its id. Nothing is saved if any check fails. Saving the same
    form submission again (same `submission_token`) returns the first incident's id and saves
    nothing more: no second incident, PVP consideration or referral."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    values = _validated(actor, new, now)
    behaviours = values.pop("behaviours")
    kept = values.pop("language_flags_kept")
    token = clean_line(new.submission_token, "Submission token", max_len=64) or None
    with uow:
        if token and (earlier := _saved_by(uow, token)) is not None:
            return earlier
        customer = uow.session.get(Customer, new.customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        area_id = new.service_area_id or actor.service_area_id or customer.service_area_id
        if area_id is None or uow.session.get(ServiceArea, area_id) is None:
            raise PolicyError("Choose the service area the incident belongs to.")
        incident = Incident(
            customer_id=customer.id,
            service_area_id=area_id,
            recorded_by_id=actor.user_id,
            submission_token=token,
            **values,
        )
        incident.behaviours = [IncidentBehaviour(behaviour=b) for b in behaviours]
        try:
            apply_incident_effects(uow, actor, incident, new)
            uow.audit(
                actor,
                "log_incident",
                incident,
                after=snapshot(incident) | {"behaviours": [b.value for b in behaviours]},
                reason=(f"Wording checked by the recorder; kept: {', '.join(kept)}" if kept else ""),
            )
            uow.commit()
        except IntegrityError:
            uow.session.rollback()  # the same submission saved at the same moment: keep that one
            if token and (earlier := _saved_by(uow, token)) is not None:
                return earlier
            raise
        return incident.id


def _saved_by(uow: UnitOfWork, token: str) -> int | None:
    return uow.session.scalar(select(Incident.id).where(Incident.submission_token == token))


def _incident_values(incident: Incident) -> dict:
    """What a correction compares and audits (the version is bookkeeping, not a value)."""
    values = snapshot(incident) | {"behaviours": sorted(b.behaviour.value for b in incident.behaviours)}
    values.pop("version", None)
    return values


def incident_form(uow: UnitOfWork, incident: Incident) -> NewIncident:
    """An incident's current values as the correction form holds them, so a caller can change
    one field and amend. The wording counts as checked: it was checked when it was saved."""
    referral = uow.session.scalar(
        select(ServiceReferral)
        .where(ServiceReferral.incident_id == incident.id)
        .order_by(ServiceReferral.id)
        .limit(1)
    )
    return NewIncident(
        customer_id=incident.customer_id,
        occurred_at=incident.occurred_at,
        channel=incident.channel.value,
        category=incident.category.value,
        behaviours=[b.behaviour.value for b in incident.behaviours],
        description=incident.description,
        evidence_source=incident.evidence_source.value,
        service_area_id=incident.service_area_id,
        third_party_name=incident.third_party_name,
        witnesses=incident.witnesses,
        staff_affected=incident.staff_affected,
        violence_or_threat=incident.violence_or_threat,
        police_reference=incident.police_reference,
        police_not_referred_reason=incident.police_not_referred_reason,
        **_arrangement_choice(incident.in_person_arrangement),
        service_failure=incident.service_failure,
        referral_service_area_id=referral.service_area_id if referral else None,
        referral_description=referral.description if referral else "",
        wording_checked=True,
    )


def _arrangement_choice(wording: str) -> dict:
    if not wording or wording in rules.INTERIM_ARRANGEMENTS:
        return {"in_person_arrangement": wording}
    return {"in_person_arrangement": rules.OTHER_INTERIM_ARRANGEMENT, "in_person_arrangement_other": wording}


def _refuse_move(changes: NewIncident, incident: Incident) -> None:
    """A correction cannot move an incident to another service area or customer."""
    if changes.service_area_id and changes.service_area_id != incident.service_area_id:
        raise PolicyError(
            "An incident cannot be moved to another service area: it is filed to the case "
            "of the area it happened in."
        )
    if changes.customer_id and changes.customer_id != incident.customer_id:
        raise PolicyError(
            "An incident cannot be moved to another customer: "
            "log it against the right customer and correct this one."
        )


def apply_incident_amendment(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: int,
    changes: NewIncident,
    reason: str,
    now: dt.datetime,
    *,
    action: str = "amend_incident",
    redact_before: Callable[[dict], dict] | None = None,
    expected_version: int | None = None,
) -> dict:
    """The one place an incident is corrected (clause 6): every check made when logging, then
    the change, 'amended on ... by ...', the audit entry with the earlier version and the reason,
    and a PVP consideration or referral for newly ticked violence or service failure (the
    incident_daily summary follows by trigger). It does not check permissions or commit: the
    caller does both (amend_incident for a team leader; a DMO's rectification decision, so the
    decision and the change commit or roll back together). `redact_before` rewrites the audit's
    before-values (a removal keeps the removed text out of the append-only log);
    `expected_version` (the version the user opened) refuses a save over a newer one. Returns
    the changed values."""
    if not (reason or "").strip():
        raise PolicyError("Reason for the correction is required.")
    values = _validated(actor, changes, now)
    behaviours = values.pop("behaviours")
    values.pop("language_flags_kept")
    incident = uow.session.get(Incident, incident_id, with_for_update=expected_version is not None or None)
    if incident is None:
        raise NotFound("No such incident.")
    if expected_version is not None and incident.version != expected_version:
        raise StaleRecord("incident")
    require_area(actor, incident.service_area_id, "correct this incident")
    _refuse_move(changes, incident)
    if not changes.in_person_arrangement and incident.violence_or_threat and values["violence_or_threat"]:
        values["in_person_arrangement"] = incident.in_person_arrangement  # no new wording chosen: kept
    before = _incident_values(incident)
    for key, value in values.items():
        setattr(incident, key, value)
    if sorted(b.value for b in behaviours) != before["behaviours"]:
        incident.behaviours.clear()
        uow.session.flush()
        incident.behaviours.extend(IncidentBehaviour(behaviour=b) for b in behaviours)
    uow.session.flush()
    after = _incident_values(incident)
    old, new = changed_fields(before, after)
    if not new:
        raise PolicyError("Nothing was changed, so there is nothing to correct.")
    incident.amended_at = now
    incident.amended_by_id = actor.user_id
    apply_incident_effects(uow, actor, incident, changes, before=before)
    uow.audit(
        actor, action, incident, before=redact_before(old) if redact_before else old, after=new, reason=reason
    )
    return new


def amend_incident(
    actor: Actor,
    incident_id: int,
    changes: NewIncident,
    reason: str,
    uow: UnitOfWork,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> None:
    """Correct an incident (clause 6). The reason is required; the earlier version stays in the
    audit log; the incident shows 'amended on ... by ...'. The customer cannot be changed.
    Newly ticked violence raises a PVP consideration; a newly ticked service failure raises
    a referral, as when logging."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    reason = clean_text(reason, "Reason for the correction", required=True, max_len=2000)
    try:
        with uow:
            apply_incident_amendment(
                uow, actor, incident_id, changes, reason, now, expected_version=expected_version
            )
            uow.commit()
    except StaleRecord:
        raise StaleRecord("incident") from None
