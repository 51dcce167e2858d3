"""Shared pieces of the data-protection services: the map of every row about a customer
(`collect._collect`), which drives the subject access pack, erasure and retention deletion alike, so a
table cannot be covered by one and forgotten by another; request look-ups and CSV cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import false, or_, select

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
    "spoc_entry": ("spoc_entry",),
    "pvp_entry": ("pvp_entry",),
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
    wanted = [c for c in conditions if c is not None]
    if not wanted:
        return []
    cols = [c for c in table.c if c.name != "content"]
    order = list(table.primary_key.columns)
    stmt = select(*cols).where(or_(*wanted)).order_by(*order)
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
