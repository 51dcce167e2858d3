"""Rectification requests: amend, annotate, remove or refuse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, func, select, update

from core.db import UnitOfWork, snapshot
from core.enums import DataRequestKind
from core.errors import NotFound, PolicyError
from core.models import (
    Annotation,
    Customer,
    Incident,
    PvpEntry,
    utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.services import customers as customer_service
from core.services import incidents as incident_service
from core.services.dataprotection._common import (
    NOT_ABOUT_A_CUSTOMER,
    T,
    _close,
    _customer,
    _get_request,
    _ids,
    _in,
    _open_request,
)
from core.services.dataprotection.collect import _collect
from core.validation import clean_line, clean_text

# ---- rectification ------------------------------------------------------------------------

# (model class, {field: required}); every model has `id` and, but for Customer, `customer_id`.
RECTIFIABLE: dict[str, tuple[type[Any], dict[str, bool]]] = {
    # table: (model, {field: required})
    "customer": (
        Customer,
        {
            "title": False,
            "first_name": True,
            "last_name": True,
            "address_line1": False,
            "address_line2": False,
            "town": False,
            "postcode": False,
            "phone": False,
            "email": False,
        },
    ),
    "incident": (
        Incident,
        {"description": True, "witnesses": False, "third_party_name": False, "staff_affected": False},
    ),
}
_MULTILINE = {"description", "witnesses"}


def _rectifiable_models() -> dict[str, tuple[type[Any], dict[str, bool]]]:
    from core.models import CustomerVulnerability, ServiceReferral, ThirdPartyContact

    return RECTIFIABLE | {
        "customer_vulnerability": (CustomerVulnerability, {"details": False}),
        "third_party_contact": (
            ThirdPartyContact,
            {"name": True, "relationship_to_customer": False, "phone": False, "email": False},
        ),
        "service_referral": (ServiceReferral, {"description": True}),
    }


REMOVABLE_RECORDS = ("incident", "customer_vulnerability", "third_party_contact")


@dataclass(frozen=True)
class RectifiableRecord:
    """A record a rectification may change, with its current values."""

    entity_type: str
    entity_id: int
    fields: dict[str, Any]
    label: str
    removable: bool


def rectifiable_records(actor: Actor, request_id: int, uow: UnitOfWork) -> list[RectifiableRecord]:
    """The records a rectification may change for this request's customer, with current values."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    models = _rectifiable_models()
    with uow:
        request = _get_request(uow, request_id)
        out = []
        for name, (model, fields) in models.items():
            column = model.id if name == "customer" else model.customer_id
            for obj in uow.session.scalars(
                select(model).where(column == request.customer_id).order_by(model.id)
            ):
                values = {f: getattr(obj, f) for f in fields}
                summary = next((str(v) for v in values.values() if v), "")
                out.append(
                    RectifiableRecord(
                        entity_type=name,
                        entity_id=obj.id,
                        fields=values,
                        label=f"{name.replace('_', ' ')} {obj.id}: {summary[:60]}",
                        removable=name in REMOVABLE_RECORDS,
                    )
                )
        return out


def _target(uow: UnitOfWork, customer_id: int, change: dict):
    models = _rectifiable_models()
    name = str(change.get("entity_type") or "customer")
    if name not in models:
        raise PolicyError(
            f"A rectification cannot change {name.replace('_', ' ')} records here; annotate them instead."
        )
    model, fields = models[name]
    entity_id = change.get("entity_id") or (customer_id if name == "customer" else None)
    obj = uow.session.get(model, entity_id) if entity_id else None
    owner = getattr(obj, "id" if name == "customer" else "customer_id", None) if obj else None
    if obj is None or owner != customer_id:
        raise NotFound(f"No {name.replace('_', ' ')} {entity_id} belongs to this customer.")
    return name, model, fields, obj


def _remove_incident(uow: UnitOfWork, incident: Incident, request_id: int) -> dict:
    """Delete an irrelevant incident, unless a decision relied on it."""
    s = uow.session
    link = T["stage_event_incident"]
    decisions = s.scalars(select(link.c.stage_event_id).where(link.c.incident_id == incident.id)).all()
    spoc = s.scalars(
        select(T["spoc_request_incident"].c.spoc_request_id).where(
            T["spoc_request_incident"].c.incident_id == incident.id
        )
    ).all()
    considerations = s.scalars(
        select(T["pvp_consideration"].c.id).where(T["pvp_consideration"].c.incident_id == incident.id)
    ).all()
    on_pvp = s.scalar(
        select(func.count()).select_from(PvpEntry).where(_in(PvpEntry.consideration_id, considerations))
    )
    problems = []
    if decisions:
        problems.append(f"stage decision(s) {', '.join(map(str, decisions))}")
    if spoc:
        problems.append(f"SPOC request(s) {', '.join(map(str, spoc))}")
    if on_pvp:
        problems.append("a PVP register entry")
    if problems:
        raise PolicyError(
            f"Incident {incident.id} cannot be removed: it is the evidence for "
            f"{' and '.join(problems)}. Annotate it instead, or have the decision "
            "reviewed or overturned first."
        )
    s.execute(
        update(T["service_referral"])
        .where(T["service_referral"].c.incident_id == incident.id)
        .values(incident_id=None)
    )
    s.execute(delete(T["pvp_consideration"]).where(T["pvp_consideration"].c.incident_id == incident.id))
    s.execute(
        delete(T["annotation"]).where(
            T["annotation"].c.entity_type == "incident", T["annotation"].c.entity_id == incident.id
        )
    )
    counts = {"behaviours": len(incident.behaviours), "pvp_considerations": len(considerations)}
    s.delete(incident)
    return counts


def _conceal(before: dict) -> dict:
    """Removed text is irrelevant or inaccurate data: the append-only log records that it was
    removed and its length, not the text itself."""
    return {k: f"<removed: {len(v)} characters>" if isinstance(v, str) else v for k, v in before.items()}


def _remove_record(
    uow: UnitOfWork, actor: Actor, customer_id: int, request_id: int, name: str, obj: Any, why: str
) -> dict:
    """Remove a whole record (an incident no decision relied on, a vulnerability, a contact)."""
    if name not in REMOVABLE_RECORDS:
        raise PolicyError(
            f"A whole {name.replace('_', ' ')} record cannot be removed; remove or amend a field instead."
        )
    entity_id = obj.id
    if name == "customer_vulnerability":
        customer_service.delete_vulnerability(
            uow,
            actor,
            entity_id,
            why,
            action="rectify_remove_record",
            redact_before=lambda before: {"id": before["id"]},
        )
        return {"entity_type": name, "entity_id": entity_id, "removed": True}
    if name == "incident":
        counts = _remove_incident(uow, obj, request_id)
    else:  # a third-party contact (stopping one keeps the row; removal deletes it)
        counts = {}
        uow.session.delete(obj)
    uow.audit(
        actor,
        "rectify_remove_record",
        entity_type=name,
        entity_id=entity_id,
        customer_id=customer_id,
        before={"id": entity_id, **counts},
        after=None,
        reason=why,
    )
    return {"entity_type": name, "entity_id": entity_id, "removed": True}


def _new_value(
    decision: str, change: dict, fields: dict[str, bool], field: str, old: Any, request_id: int
) -> Any:
    label = field.replace("_", " ").capitalize()
    if decision == "amend":
        new = change.get("value")
        if isinstance(new, str) and new.strip() == (old or ""):
            raise PolicyError(f"{label} already holds that value.")
        return new
    if fields[field] and field not in _MULTILINE:
        raise PolicyError(f"{label} cannot be removed, only amended.")
    new = f"[removed following rectification request {request_id}]" if fields[field] else ""
    if new == old:
        raise PolicyError(f"{label} already holds that value.")
    return new


def _rectify(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: int,
    request_id: int,
    decision: str,
    change: dict,
    why: str,
    now: dt.datetime,
) -> dict:
    """Apply one amend or remove. Customer details, incidents and vulnerabilities change through
    the same functions a team leader's correction uses (customers.apply_customer_correction,
    incidents.apply_incident_amendment, customers.delete_vulnerability), so every rule and the
    'amended on ... by ...' mark apply alike; nothing is committed here."""
    name, _model, fields, obj = _target(uow, customer_id, change)
    field = change.get("field")
    if decision == "remove" and not field:
        return _remove_record(uow, actor, customer_id, request_id, name, obj, why)
    if not isinstance(field, str) or field not in fields:
        raise PolicyError(
            f"{field!r} cannot be changed on a {name.replace('_', ' ')} "
            f"record; choose one of: {', '.join(fields)}."
        )
    label = field.replace("_", " ").capitalize()
    old = getattr(obj, field)
    new = _new_value(decision, change, fields, field, old, request_id)
    action = f"rectify_{decision}"
    redact = _conceal if decision == "remove" else None
    if name == "customer":
        details = replace(customer_service.customer_details(obj), **{field: new})
        customer_service.apply_customer_correction(
            uow, actor, obj.id, details, why, now, action=action, redact_before=redact
        )
    elif name == "incident":
        # The DMO's decision, with its reason, is the wording check: the data-requests page has
        # no language prompt, and the unchanged fields were checked when the incident was saved.
        form = replace(incident_service.incident_form(uow, obj), **{field: new}, wording_checked=True)
        incident_service.apply_incident_amendment(
            uow, actor, obj.id, form, why, now, action=action, redact_before=redact
        )
    else:  # vulnerability details, third-party contact and referral text: no other service edits them
        cleaner = clean_text if field in _MULTILINE else clean_line
        new = cleaner(new, label, required=fields[field])
        if new == old:
            raise PolicyError(f"{label} already holds that value.")
        before = {field: old}
        setattr(obj, field, new)
        uow.audit(
            actor, action, obj, before=redact(before) if redact else before, after={field: new}, reason=why
        )
    return {"entity_type": name, "entity_id": obj.id, "field": field}


def decide_rectification(
    actor: Actor,
    request_id: int,
    decision: str,
    reason: str,
    changes: list[dict] | None,
    uow: UnitOfWork,
    now: dt.datetime | None = None,
) -> dict:
    """Decide a rectification request: amend, annotate, remove or refuse, with a reason.

    `changes` is a list of {"entity_type", "entity_id", "field", "value"} (amend),
    {"entity_type", "entity_id", "field"} or {"entity_type", "entity_id"} (remove a field or a
    whole record), or {"entity_type", "entity_id", "text"} (annotate). Every change is audited
    with before/after in the same transaction as the decision.
    """
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    decision = (decision or "").strip().lower()
    if decision not in rules.RECTIFICATION_DECISIONS:
        raise PolicyError("Choose amend, annotate, remove or refuse.")
    reason = clean_text(reason, "Reason for the decision", required=True, max_len=4000)
    changes = list(changes or [])
    if decision in ("amend", "remove") and not changes:
        raise PolicyError(f"Say which record and field to {decision}.")
    now = now or utcnow()
    why = f"Rectification request {request_id}: {reason}"
    applied: list[dict] = []
    with uow:
        request = _open_request(uow, request_id, DataRequestKind.RECTIFICATION)
        customer_id = request.customer_id
        if _customer(uow, customer_id).anonymised_at is not None:
            raise PolicyError("This customer's personal data has already been erased.")
        if decision == "annotate":
            records = _collect(uow.session, customer_id)
            for change in changes or [{"entity_type": "customer", "entity_id": customer_id}]:
                name = str(change.get("entity_type") or "customer")
                entity_id = change.get("entity_id") or customer_id
                if name not in T or name in NOT_ABOUT_A_CUSTOMER or name == "audit_entry":
                    raise PolicyError(f"Cannot annotate {name!r} records.")
                if entity_id not in _ids(records.get(name, [])):
                    raise NotFound(f"No {name.replace('_', ' ')} {entity_id} belongs to this customer.")
                text = clean_text(change.get("text") or reason, "Annotation", required=True)
                note = Annotation(
                    customer_id=customer_id,
                    entity_type=name,
                    entity_id=entity_id,
                    text=text,
                    by_id=actor.user_id,
                    at=now,
                )
                uow.session.add(note)
                uow.audit(actor, "annotate_record", note, after=snapshot(note), reason=why)
                applied.append({"entity_type": name, "entity_id": entity_id, "annotation_id": note.id})
        elif decision in ("amend", "remove"):
            for change in changes:
                applied.append(_rectify(uow, actor, customer_id, request_id, decision, change, why, now))
        _close(uow, actor, request, decision, reason, now)
        uow.commit()
        return {"request_id": request_id, "decision": decision, "applied": applied}
