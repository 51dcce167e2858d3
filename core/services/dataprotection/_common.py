"""Shared pieces of the data-protection services: the map of every row about a customer
(`_collect`), which drives the subject access pack, erasure and retention deletion alike, so a
table cannot be covered by one and forgotten by another; request look-ups and CSV cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, false, or_, select

from core.db import UnitOfWork, to_jsonable
from core.enums import DataRequestKind
from core.errors import NotFound, PolicyError
from core.models import (
    Base,
    Customer,
    DataRequest,
    utcnow,
)
from core.permissions import Actor

T = Base.metadata.tables

# Every table holding rows about a customer, in the order the pack presents them, with a title.
PACK_TABLES: list[tuple[str, str]] = [
    ("customer", "Customer record"),
    ("customer_vulnerability", "Underlying issues recorded"),
    ("third_party_contact", "Third-party contacts"),
    ("case_file", "Cases"),
    ("incident", "Incidents"),
    ("incident_behaviour", "Behaviours recorded for each incident"),
    ("service_referral", "Service referrals"),
    ("check_note", "Notes that something needs checking"),
    ("stage_event", "Stage decisions"),
    ("stage_event_incident", "Incidents relied on for each stage decision"),
    ("formal_action", "Restrictions (formal actions)"),
    ("review", "Reviews"),
    ("appeal", "Appeals"),
    ("letter", "Letters"),
    ("contact_log", "Contacts and case notes"),
    ("attachment", "Evidence files attached (the files are in attachments/)"),
    ("partner_referral", "Referrals to and contacts with other agencies"),
    ("household", "Household (address) the customer belongs to"),
    ("household_member", "Household membership"),
    ("communication_needs", "Preferred format and communication needs"),
    ("spoc_request", "Single point of contact requests"),
    ("spoc_request_incident", "Incidents relied on for each SPOC request"),
    ("spoc_entry", "SPOC register entries"),
    ("pvp_consideration", "PVP considerations"),
    ("pvp_entry", "PVP register entries"),
    ("annotation", "Notes added to the records"),
    ("data_request", "Data-protection requests"),
    ("access_log", "Who viewed the records"),
    ("disclosure_log", "Who looked up the contact arrangements"),
    ("audit_entry", "Changes made to the records (audit trail)"),
]
# Tables that hold no rows about a customer (staff, reference data, settings).
NOT_ABOUT_A_CUSTOMER = frozenset(
    {
        "app_user",
        "service_area",
        "login_attempt",
        "app_setting",
        "alembic_version",
        "outbox_message",  # reminders to staff: case numbers and housing refs
        "incident_daily",
    }
)  # counts per day/area/category only (monitoring)

# Deletion order: children before parents (foreign keys).
DELETE_ORDER = [
    "attachment",
    "contact_log",
    "partner_referral",
    "household_member",
    "communication_needs",
    "stage_event_incident",
    "spoc_request_incident",
    "annotation",
    "review",
    "appeal",
    "letter",
    "formal_action",
    "spoc_entry",
    "spoc_request",
    "pvp_entry",
    "pvp_consideration",
    "service_referral",
    "incident_behaviour",
    "incident",
    "stage_event",
    "case_file",
    "customer_vulnerability",
    "third_party_contact",
    "disclosure_log",
    "access_log",
    "data_request",
    "check_note",
    "customer",
]
_LINK_KEYS = {
    "incident_behaviour": ("incident_id", "behaviour"),
    "stage_event_incident": ("stage_event_id", "incident_id"),
    "spoc_request_incident": ("spoc_request_id", "incident_id"),
}
_REVIEW_SUBJECTS = {
    "formal_action": ("formal_action",),
    "spoc_entry": ("spoc", "spoc_entry"),
    "pvp_entry": ("pvp", "pvp_entry"),
    "stage_event": ("stage_event", "warning"),
}
_STAFF_COLUMNS = (
    "recorded_by_id",
    "opened_by_id",
    "decided_by_id",
    "amended_by_id",
    "raised_by_id",
    "resolved_by_id",
    "reviewed_by_id",
    "decision_maker_id",
    "author_id",
    "requested_by_id",
    "spoc_user_id",
    "proposed_by_id",
    "approved_by_id",
    "by_id",
    "viewer_id",
    "user_id",
    "logged_by_id",
    "staff_id",
    "uploaded_by_id",
)
# Free-text fields whose content names third parties: flagged for a check before release.
_THIRD_PARTY_FIELDS = {
    ("incident", "third_party_name"),
    ("incident", "witnesses"),
    ("third_party_contact", "name"),
    ("check_note", "who_to_ask"),
}


# ---- small helpers ------------------------------------------------------------------------


def _in(column, ids: Iterable) -> Any:
    ids = list(ids)
    return column.in_(ids) if ids else false()


def _rows(s, name: str, *conditions) -> list[dict]:
    """Every column except letter bytes, for rows matching any of the conditions."""
    table = T[name]
    present = [c for c in conditions if c is not None]
    if not present:
        return []
    cols = [c for c in table.c if c.name != "content"]
    order = list(table.primary_key.columns)
    stmt = select(*cols).where(or_(*present)).order_by(*order)
    return [dict(r._mapping) for r in s.execute(stmt)]


def _ids(rows: list[dict]) -> set[int]:
    return {r["id"] for r in rows}


def _get_request(uow: UnitOfWork, request_id: int) -> DataRequest:
    request = uow.session.get(DataRequest, request_id)
    if request is None:
        raise NotFound("No such data-protection request.")
    return request


def _open_request(uow: UnitOfWork, request_id: int, kind: DataRequestKind) -> DataRequest:
    request = _get_request(uow, request_id)
    if request.kind != kind:
        raise PolicyError(
            f"Request {request_id} is a {request.kind.label.lower()}, not a {kind.label.lower()}."
        )
    if request.status != "open":
        raise PolicyError(f"Request {request_id} is already closed ({request.decision or request.status}).")
    if not request.identity_checked:
        raise PolicyError(
            "The requester's identity has not been checked. Confirm it on the request before acting on it."
        )
    return request


def _customer(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _neutralise(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run as a formula (core.exports' rule)."""
    from core.exports import neutralise

    return neutralise(value)


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """UTF-8 (with BOM for Excel) CSV of plain rows, every cell neutralised."""
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        cells = []
        for col in columns:
            value = to_jsonable(row.get(col))
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True)
            cells.append(_neutralise("" if value is None else value))
        writer.writerow(cells)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---- the map of everything about a customer ---------------------------------------------


def _collect(s, customer_id: int, case_ids: set[int] | None = None) -> dict[str, list[dict]]:
    """Rows about a customer in every table (audit entries included).

    With `case_ids`, only the rows belonging to those cases (for retention deletion).
    """
    whole = case_ids is None
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
    out: dict[str, list[dict]] = {}
    out["customer"] = _rows(s, "customer", c["customer"].id == customer_id) if whole else []
    out["customer_vulnerability"] = _rows(
        s, "customer_vulnerability", mine(c["customer_vulnerability"].customer_id)
    )
    out["third_party_contact"] = _rows(s, "third_party_contact", mine(c["third_party_contact"].customer_id))
    if case_ids is None:
        out["case_file"] = _rows(s, "case_file", c["case_file"].customer_id == customer_id)
    else:
        out["case_file"] = _rows(
            s, "case_file", and_(c["case_file"].customer_id == customer_id, _in(c["case_file"].id, case_ids))
        )
    cases = _ids(out["case_file"])
    out["incident"] = _rows(s, "incident", mine(c["incident"].customer_id), _in(c["incident"].case_id, cases))
    incidents = _ids(out["incident"])
    out["incident_behaviour"] = _rows(
        s, "incident_behaviour", _in(c["incident_behaviour"].incident_id, incidents)
    )
    out["service_referral"] = _rows(
        s,
        "service_referral",
        mine(c["service_referral"].customer_id),
        _in(c["service_referral"].case_id, cases),
        _in(c["service_referral"].incident_id, incidents),
    )
    out["stage_event"] = _rows(s, "stage_event", _in(c["stage_event"].case_id, cases))
    events = _ids(out["stage_event"])
    out["stage_event_incident"] = _rows(
        s,
        "stage_event_incident",
        _in(c["stage_event_incident"].stage_event_id, events),
        _in(c["stage_event_incident"].incident_id, incidents),
    )
    out["formal_action"] = _rows(
        s,
        "formal_action",
        _in(c["formal_action"].case_id, cases),
        _in(c["formal_action"].stage_event_id, events),
    )
    out["spoc_request"] = _rows(
        s, "spoc_request", mine(c["spoc_request"].customer_id), _in(c["spoc_request"].case_id, cases)
    )
    spoc_requests = _ids(out["spoc_request"])
    out["spoc_request_incident"] = _rows(
        s,
        "spoc_request_incident",
        _in(c["spoc_request_incident"].spoc_request_id, spoc_requests),
        _in(c["spoc_request_incident"].incident_id, incidents),
    )
    out["spoc_entry"] = _rows(
        s,
        "spoc_entry",
        mine(c["spoc_entry"].customer_id),
        _in(c["spoc_entry"].case_id, cases),
        _in(c["spoc_entry"].request_id, spoc_requests),
    )
    out["pvp_consideration"] = _rows(
        s,
        "pvp_consideration",
        mine(c["pvp_consideration"].customer_id),
        _in(c["pvp_consideration"].incident_id, incidents),
    )
    out["pvp_entry"] = _rows(s, "pvp_entry", mine(c["pvp_entry"].customer_id)) if whole else []
    subjects = {
        "formal_action": _ids(out["formal_action"]),
        "spoc_entry": _ids(out["spoc_entry"]),
        "pvp_entry": _ids(out["pvp_entry"]),
        "stage_event": events,
    }
    rv = c["review"]
    out["review"] = _rows(
        s,
        "review",
        _in(rv.case_id, cases),
        *[
            and_(rv.subject_type.in_(aliases), _in(rv.subject_id, subjects[kind]))
            for kind, aliases in _REVIEW_SUBJECTS.items()
            if subjects[kind]
        ],
    )
    out["appeal"] = _rows(s, "appeal", _in(c["appeal"].case_id, cases))
    out["letter"] = _rows(s, "letter", mine(c["letter"].customer_id), _in(c["letter"].case_id, cases))
    _collect_evidence(s, customer_id, whole, cases, incidents | set(), events, out)
    _collect_notes_and_logs(s, customer_id, whole, out)
    return {name: out[name] for name, _ in PACK_TABLES}


def _collect_evidence(
    s,
    customer_id: int,
    whole: bool,
    cases: set[int],
    incidents: set[int],
    events: set[int],
    out: dict[str, list[dict]],
) -> None:
    """Issue 16's tables: contacts and notes, attachments (on any collected incident, note or
    decision), partner-agency actions, household membership and communication needs."""
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
    out["contact_log"] = _rows(
        s, "contact_log", mine(c["contact_log"].customer_id), _in(c["contact_log"].case_id, cases)
    )
    a = c["attachment"]
    subjects = {"incident": incidents, "contact_log": _ids(out["contact_log"]), "stage_event": events}
    out["attachment"] = _rows(
        s,
        "attachment",
        mine(a.customer_id),
        _in(a.case_id, cases),
        *[and_(a.subject_type == kind, _in(a.subject_id, ids)) for kind, ids in subjects.items() if ids],
    )
    out["partner_referral"] = _rows(
        s,
        "partner_referral",
        mine(c["partner_referral"].customer_id),
        _in(c["partner_referral"].case_id, cases),
    )
    for name in ("household_member", "communication_needs"):
        out[name] = _rows(s, name, mine(c[name].customer_id))
    households = {r["household_id"] for r in out["household_member"]}
    out["household"] = _rows(s, "household", _in(c["household"].id, households)) if households else []


def _collect_notes_and_logs(s, customer_id: int, whole: bool, out: dict[str, list[dict]]) -> None:
    """Annotations (only those on the collected rows when not `whole`), the request, access and
    disclosure logs, and the audit entries about the customer or any collected row."""
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
    annotations = _rows(s, "annotation", c["annotation"].customer_id == customer_id)
    if not whole:
        keys = {(name, r["id"]) for name, rows in out.items() for r in rows if "id" in r}
        annotations = [a for a in annotations if (a["entity_type"], a["entity_id"]) in keys]
    out["annotation"] = annotations
    for name in ("data_request", "access_log", "disclosure_log", "check_note"):
        out[name] = _rows(s, name, mine(c[name].customer_id))
    audit = c["audit_entry"]
    by_entity = [
        and_(audit.entity_type == name, _in(audit.entity_id, _ids(rows)))
        for name, rows in out.items()
        if rows and name not in _LINK_KEYS and name != "audit_entry"
    ]
    out["audit_entry"] = _rows(s, "audit_entry", mine(audit.customer_id), *by_entity) if whole else []


def _counts(records: dict[str, list[dict]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in records.items() if rows}


def _close(
    uow: UnitOfWork,
    actor: Actor,
    request: DataRequest,
    decision: str,
    reason: str,
    now: dt.datetime | None,
) -> None:
    before = {"status": request.status, "decision": request.decision}
    request.status, request.decision, request.decision_reason = "closed", decision, reason
    request.decided_by_id, request.decided_at = actor.user_id, now or utcnow()
    uow.audit(
        actor,
        "decide_data_request",
        request,
        before=before,
        after={"status": "closed", "decision": decision, "decision_reason": reason},
        reason=reason,
    )
