"""Clause 6 for the Data Management Officer: subject access, rectification and erasure
requests, legal holds, retention and the access log.

One map of "every row about a customer" (`_collect`) drives the subject access pack, erasure
and retention deletion, so a table cannot be covered by one and forgotten by another.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import replace
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import and_, delete, false, func, or_, select, update

from core.db import UnitOfWork, snapshot, to_jsonable
from core.enums import ActionStatus, DataRequestKind, RegisterStatus, Stage
from core.errors import NotFound, PolicyError
from core.models import (
    AccessLog, Annotation, Appeal, Base, Case, Customer, DataRequest, FormalAction, Incident,
    PvpEntry, SpocEntry, User, utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.policy.deadlines import sar_due
from core.services import customers as customer_service, incidents as incident_service
from core.validation import clean_line, clean_text, parse_enum

Progress = Optional[Callable[[float, str], None]]
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
    ("stage_event", "Stage decisions"),
    ("stage_event_incident", "Incidents relied on for each stage decision"),
    ("formal_action", "Restrictions (formal actions)"),
    ("review", "Reviews"),
    ("appeal", "Appeals"),
    ("letter", "Letters"),
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
NOT_ABOUT_A_CUSTOMER = frozenset({"app_user", "service_area", "login_attempt", "app_setting",
                                  "alembic_version",
                                  "incident_daily"})  # counts per day/area/category only (monitoring)

# Deletion order: children before parents (foreign keys).
DELETE_ORDER = [
    "stage_event_incident", "spoc_request_incident", "annotation", "review", "appeal", "letter",
    "formal_action", "spoc_entry", "spoc_request", "pvp_entry", "pvp_consideration",
    "service_referral", "incident_behaviour", "incident", "stage_event", "case_file",
    "customer_vulnerability", "third_party_contact", "disclosure_log", "access_log",
    "data_request", "customer",
]
_LINK_KEYS = {
    "incident_behaviour": ("incident_id", "behaviour"),
    "stage_event_incident": ("stage_event_id", "incident_id"),
    "spoc_request_incident": ("spoc_request_id", "incident_id"),
}
_REVIEW_SUBJECTS = {
    "formal_action": ("formal_action",), "spoc_entry": ("spoc", "spoc_entry"),
    "pvp_entry": ("pvp", "pvp_entry"), "stage_event": ("stage_event", "warning"),
}
_STAFF_COLUMNS = ("recorded_by_id", "opened_by_id", "decided_by_id", "amended_by_id", "raised_by_id",
                  "resolved_by_id", "reviewed_by_id", "decision_maker_id", "author_id",
                  "requested_by_id", "spoc_user_id", "proposed_by_id", "approved_by_id", "by_id",
                  "viewer_id", "user_id", "logged_by_id")
# Free-text fields whose content names third parties: flagged for a check before release.
_THIRD_PARTY_FIELDS = {("incident", "third_party_name"), ("incident", "witnesses"),
                       ("third_party_contact", "name")}


# ---- small helpers ------------------------------------------------------------------------

def _in(column, ids: Iterable) -> Any:
    ids = list(ids)
    return column.in_(ids) if ids else false()


def _rows(s, name: str, *conditions) -> list[dict]:
    """Every column except letter bytes, for rows matching any of the conditions."""
    table = T[name]
    conditions = [c for c in conditions if c is not None]
    if not conditions:
        return []
    cols = [c for c in table.c if c.name != "content"]
    order = list(table.primary_key.columns)
    stmt = select(*cols).where(or_(*conditions)).order_by(*order)
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
        raise PolicyError(f"Request {request_id} is a {request.kind.label.lower()}, "
                          f"not a {kind.label.lower()}.")
    if request.status != "open":
        raise PolicyError(f"Request {request_id} is already closed ({request.decision or request.status}).")
    if not request.identity_checked:
        raise PolicyError("The requester's identity has not been checked. Confirm it on the "
                          "request before acting on it.")
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


def csv_bytes(rows: list[dict], columns: Optional[list[str]] = None) -> bytes:
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

def _collect(s, customer_id: int, case_ids: Optional[set[int]] = None) -> dict[str, list[dict]]:
    """Rows about a customer in every table (audit entries included).

    With `case_ids`, only the rows belonging to those cases (for retention deletion).
    """
    whole = case_ids is None
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
    out: dict[str, list[dict]] = {}
    out["customer"] = _rows(s, "customer", c["customer"].id == customer_id) if whole else []
    out["customer_vulnerability"] = _rows(s, "customer_vulnerability", mine(c["customer_vulnerability"].customer_id))
    out["third_party_contact"] = _rows(s, "third_party_contact", mine(c["third_party_contact"].customer_id))
    if whole:
        out["case_file"] = _rows(s, "case_file", c["case_file"].customer_id == customer_id)
    else:
        out["case_file"] = _rows(s, "case_file", and_(c["case_file"].customer_id == customer_id,
                                                       _in(c["case_file"].id, case_ids)))
    cases = _ids(out["case_file"])
    out["incident"] = _rows(s, "incident", mine(c["incident"].customer_id), _in(c["incident"].case_id, cases))
    incidents = _ids(out["incident"])
    out["incident_behaviour"] = _rows(s, "incident_behaviour", _in(c["incident_behaviour"].incident_id, incidents))
    out["service_referral"] = _rows(s, "service_referral", mine(c["service_referral"].customer_id),
                                    _in(c["service_referral"].case_id, cases),
                                    _in(c["service_referral"].incident_id, incidents))
    out["stage_event"] = _rows(s, "stage_event", _in(c["stage_event"].case_id, cases))
    events = _ids(out["stage_event"])
    out["stage_event_incident"] = _rows(s, "stage_event_incident",
                                        _in(c["stage_event_incident"].stage_event_id, events),
                                        _in(c["stage_event_incident"].incident_id, incidents))
    out["formal_action"] = _rows(s, "formal_action", _in(c["formal_action"].case_id, cases),
                                 _in(c["formal_action"].stage_event_id, events))
    out["spoc_request"] = _rows(s, "spoc_request", mine(c["spoc_request"].customer_id),
                                _in(c["spoc_request"].case_id, cases))
    spoc_requests = _ids(out["spoc_request"])
    out["spoc_request_incident"] = _rows(s, "spoc_request_incident",
                                         _in(c["spoc_request_incident"].spoc_request_id, spoc_requests),
                                         _in(c["spoc_request_incident"].incident_id, incidents))
    out["spoc_entry"] = _rows(s, "spoc_entry", mine(c["spoc_entry"].customer_id),
                              _in(c["spoc_entry"].case_id, cases), _in(c["spoc_entry"].request_id, spoc_requests))
    out["pvp_consideration"] = _rows(s, "pvp_consideration", mine(c["pvp_consideration"].customer_id),
                                     _in(c["pvp_consideration"].incident_id, incidents))
    out["pvp_entry"] = _rows(s, "pvp_entry", mine(c["pvp_entry"].customer_id)) if whole else []
    subjects = {"formal_action": _ids(out["formal_action"]), "spoc_entry": _ids(out["spoc_entry"]),
                "pvp_entry": _ids(out["pvp_entry"]), "stage_event": events}
    rv = c["review"]
    out["review"] = _rows(s, "review", _in(rv.case_id, cases), *[
        and_(rv.subject_type.in_(aliases), _in(rv.subject_id, subjects[kind]))
        for kind, aliases in _REVIEW_SUBJECTS.items() if subjects[kind]])
    out["appeal"] = _rows(s, "appeal", _in(c["appeal"].case_id, cases))
    out["letter"] = _rows(s, "letter", mine(c["letter"].customer_id), _in(c["letter"].case_id, cases))
    annotations = _rows(s, "annotation", c["annotation"].customer_id == customer_id)
    if not whole:
        keys = {(name, r["id"]) for name, rows in out.items() for r in rows if "id" in r}
        annotations = [a for a in annotations if (a["entity_type"], a["entity_id"]) in keys]
    out["annotation"] = annotations
    for name in ("data_request", "access_log", "disclosure_log"):
        out[name] = _rows(s, name, mine(c[name].customer_id))
    audit = c["audit_entry"]
    by_entity = [and_(audit.entity_type == name, _in(audit.entity_id, _ids(rows)))
                 for name, rows in out.items() if rows and name not in _LINK_KEYS and name != "audit_entry"]
    out["audit_entry"] = _rows(s, "audit_entry", mine(audit.customer_id), *by_entity) if whole else []
    return {name: out[name] for name, _ in PACK_TABLES}


def _counts(records: dict[str, list[dict]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in records.items() if rows}


# ---- requests -----------------------------------------------------------------------------

def log_request(actor: Actor, customer_id: int, kind: str, received_on: dt.date,
                identity_checked: bool, details: str, uow: UnitOfWork,
                today: Optional[dt.date] = None) -> int:
    """Log a subject access, rectification or erasure request; due one calendar month later."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    kind = parse_enum(DataRequestKind, kind, "Kind of request")
    if not isinstance(received_on, dt.date):
        raise PolicyError("Enter the date the request was received.")
    if received_on > today:
        raise PolicyError("The date received cannot be in the future.")
    details = clean_text(details, "What the request asks for",
                         required=kind != DataRequestKind.SAR)
    with uow:
        customer = _customer(uow, customer_id)
        if customer.anonymised_at is not None:
            raise PolicyError("This customer's personal data has already been erased.")
        request = DataRequest(customer_id=customer_id, kind=kind, received_on=received_on,
                              due_on=sar_due(received_on), identity_checked=bool(identity_checked),
                              details=details, logged_by_id=actor.user_id)
        uow.session.add(request)
        uow.audit(actor, "log_data_request", request, after=snapshot(request))
        uow.commit()
        return request.id


def confirm_identity(actor: Actor, request_id: int, how: str, uow: UnitOfWork) -> None:
    """Record that the requester's identity has now been checked (and how)."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    how = clean_text(how, "How the identity was checked", required=True, max_len=2000)
    with uow:
        request = _get_request(uow, request_id)
        if request.identity_checked:
            raise PolicyError("The identity on this request is already confirmed.")
        request.identity_checked = True
        uow.audit(actor, "confirm_identity", request, before={"identity_checked": False},
                  after={"identity_checked": True}, reason=how)
        uow.commit()


def list_requests(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None,
                  include_closed: bool = False) -> list[dict]:
    """Requests with their due dates, soonest first; `overdue` when open past the due date."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    with uow:
        stmt = select(DataRequest, Customer).join(Customer, Customer.id == DataRequest.customer_id)
        if not include_closed:
            stmt = stmt.where(DataRequest.status == "open")
        rows = uow.session.execute(stmt.order_by(DataRequest.due_on, DataRequest.id)).all()
        return [{
            "id": r.id, "customer_id": c.id, "customer": f"{c.full_name} ({c.housing_ref})",
            "kind": r.kind.value, "kind_label": r.kind.label, "received_on": r.received_on,
            "due_on": r.due_on, "days_left": (r.due_on - today).days,
            "overdue": r.status == "open" and r.due_on < today,
            "identity_checked": r.identity_checked, "status": r.status, "decision": r.decision,
            "decision_reason": r.decision_reason, "details": r.details,
        } for r, c in rows]


def complete_request(actor: Actor, request_id: int, outcome: str, reason: str, uow: UnitOfWork,
                     now: Optional[dt.datetime] = None) -> None:
    """Close a request: a SAR as 'released' once the pack is sent, or any request as 'refused'."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    outcome = clean_line(outcome, "Outcome", required=True, max_len=20).lower()
    if outcome not in ("released", "refused"):
        raise PolicyError("The outcome must be 'released' (pack sent) or 'refused'.")
    reason = clean_text(reason, "Reason", required=outcome == "refused")
    with uow:
        request = _get_request(uow, request_id)
        if request.status != "open":
            raise PolicyError(f"Request {request_id} is already closed.")
        if outcome == "released" and request.kind != DataRequestKind.SAR:
            raise PolicyError("Only a subject access request is closed as 'released'.")
        if outcome == "released" and not request.identity_checked:
            raise PolicyError("The requester's identity has not been checked.")
        _close(uow, actor, request, outcome, reason, now)
        uow.commit()


def _close(uow: UnitOfWork, actor: Actor, request: DataRequest, decision: str, reason: str,
           now: Optional[dt.datetime]) -> None:
    before = {"status": request.status, "decision": request.decision}
    request.status, request.decision, request.decision_reason = "closed", decision, reason
    request.decided_by_id, request.decided_at = actor.user_id, now or utcnow()
    uow.audit(actor, "decide_data_request", request, before=before,
              after={"status": "closed", "decision": decision, "decision_reason": reason}, reason=reason)


# ---- subject access pack ------------------------------------------------------------------

def _step(progress: Progress, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def _text_fields(name: str, row: dict) -> Iterable[tuple[str, str]]:
    for key, value in row.items():
        if isinstance(value, str) and value:
            yield key, value
        elif isinstance(value, (dict, list)) and value:
            yield key, json.dumps(to_jsonable(value), ensure_ascii=False)


def _scanner(s, customer: Customer) -> rules.RedactionScanner:
    others = s.execute(select(Customer.first_name, Customer.last_name, Customer.title,
                              Customer.housing_ref, Customer.email, Customer.phone)
                       .where(Customer.id != customer.id, Customer.anonymised_at.is_(None)))
    return rules.RedactionScanner(
        (rules.Identity("another customer", f, l, t, ref, e, p) for f, l, t, ref, e, p in others),
        exclude_names=[f"{customer.first_name} {customer.last_name}",
                       f"{customer.title} {customer.last_name}"])


def _letter_text(content: bytes) -> str:
    try:
        import docx
        document = docx.Document(io.BytesIO(content))
    except Exception:  # not a readable .docx: nothing to scan
        return ""
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "letter"


def _staff(s, records: dict[str, list[dict]]) -> dict[int, dict]:
    ids = {row[col] for rows in records.values() for row in rows for col in _STAFF_COLUMNS
           if isinstance(row.get(col), int)}
    users = s.execute(select(User.id, User.name, User.role).where(_in(User.id, ids))).all()
    return {u.id: {"name": u.name, "role": u.role.label} for u in users}


def build_sar_pack(actor: Actor, uow: UnitOfWork, request_id: Optional[int] = None,
                   customer_id: Optional[int] = None, progress: Progress = None,
                   now: Optional[dt.datetime] = None) -> bytes:
    """A zip of everything held about one customer: data.json, one CSV per table, every letter
    (.docx), a readable summary.docx, and a redactions list for the DMO to action before release.

    Give the request (its identity must be checked) or, for the DMO's own review, a customer id.
    `progress(fraction, message)` is called as the pack is built.
    """
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    now = now or utcnow()
    with uow:
        s = uow.session
        request = None
        if request_id is not None:
            request = _open_request(uow, request_id, DataRequestKind.SAR)
            customer_id = request.customer_id
        if customer_id is None:
            raise PolicyError("Choose a subject access request or a customer.")
        customer = _customer(uow, customer_id)
        _step(progress, 0.05, "Collecting records")
        records = _collect(s, customer_id)
        staff = _staff(s, records)
        _step(progress, 0.3, "Checking free text for other people's personal data")
        scanner = _scanner(s, customer)
        flags: list[dict] = []
        for name, rows in records.items():
            if name == "customer":
                continue
            for row in rows:
                row_id = row.get("id", "/".join(str(row.get(k)) for k in _LINK_KEYS.get(name, ())))
                for field, text in _text_fields(name, row):
                    for found, kind in scanner.scan(text):
                        flags.append({"table": name, "row_id": row_id, "field": field,
                                      "found": found, "kind": kind})
                    if (name, field) in _THIRD_PARTY_FIELDS and name != "third_party_contact":
                        flags.append({"table": name, "row_id": row_id, "field": field, "found": text,
                                      "kind": "third party named: check consent or redact"})
        letters = records["letter"]
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            for i, letter in enumerate(letters):
                _step(progress, 0.4 + 0.3 * i / max(len(letters), 1), f"Adding letter {i + 1} of {len(letters)}")
                content = s.execute(select(T["letter"].c.content)
                                    .where(T["letter"].c.id == letter["id"])).scalar_one()
                path = f"letters/{letter['id']}-{_safe_name(letter.get('filename') or letter['letter_type'])}"
                if not path.lower().endswith(".docx"):
                    path += ".docx"
                letter["file_in_pack"] = path
                z.writestr(path, content or b"")
                for found, kind in scanner.scan(_letter_text(content or b"")):
                    flags.append({"table": "letter", "row_id": letter["id"], "field": "content",
                                  "found": found, "kind": kind})
            _step(progress, 0.7, "Writing data files")
            for name, _title in PACK_TABLES:
                columns = [col.name for col in T[name].c if col.name != "content"]
                if name == "letter":
                    columns.append("file_in_pack")
                z.writestr(f"csv/{name}.csv", csv_bytes(records[name], columns))
            data = {"customer_id": customer_id, "generated_at": now.isoformat(),
                    "request_id": request_id, "staff": {str(k): v for k, v in staff.items()},
                    "tables": {name: to_jsonable(records[name]) for name, _ in PACK_TABLES}}
            z.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
            z.writestr("FOR_DMO_REVIEW_remove_before_release/redactions.csv",
                       csv_bytes(flags, ["table", "row_id", "field", "found", "kind"]))
            _step(progress, 0.8, "Writing the summary document")
            z.writestr("summary.docx", _summary_docx(customer, request, records, staff, flags, now))
            z.writestr("README.txt", _readme(customer, request, records, flags, now))
        pack = zipped.getvalue()
        uow.audit(actor, "build_sar_pack", entity_type="data_request" if request else "customer",
                  entity_id=request_id if request else customer_id, customer_id=customer_id,
                  after={"rows": _counts(records), "letters": len(letters),
                         "redaction_flags": len(flags), "sha256": hashlib.sha256(pack).hexdigest()})
        uow.commit()
    _step(progress, 1.0, "Pack ready")
    return pack


def _readme(customer: Customer, request: Optional[DataRequest], records: dict, flags: list,
            now: dt.datetime) -> str:
    lines = [
        "Subject access pack: personal data held by Northampton Partnership Homes",
        f"Customer reference: {customer.housing_ref}",
        f"Generated: {now:%d %B %Y %H:%M} UTC",
        f"Request received: {request.received_on:%d %B %Y}; due {request.due_on:%d %B %Y}" if request else
        "No request logged: built for the Data Management Officer's review.",
        "",
        "summary.docx  a readable summary of every record",
        "data.json     every record in machine-readable form",
        "csv/          one spreadsheet file per table",
        "letters/      every letter issued, as Word documents",
        "",
        f"BEFORE RELEASE: the folder FOR_DMO_REVIEW_remove_before_release lists {len(flags)} "
        "place(s) where other people's personal data may appear. Redact them, then delete that "
        "folder and the 'Before release' section of summary.docx.",
    ]
    return "\n".join(lines) + "\n"


def _label(value: Any) -> str:
    if hasattr(value, "label"):
        return value.label
    if isinstance(value, dt.datetime):
        return f"{value:%d %b %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d %b %Y}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


def _summary_docx(customer: Customer, request: Optional[DataRequest], records: dict,
                  staff: dict, flags: list, now: dt.datetime) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Personal data held about you", 0)
    document.add_paragraph(f"{customer.full_name} (reference {customer.housing_ref})")
    if request is not None:
        document.add_paragraph(f"Request received {request.received_on:%d %B %Y}; "
                               f"response due {request.due_on:%d %B %Y}.")
    document.add_paragraph(
        f"Produced on {now:%d %B %Y} under clause 6 of the Unacceptable Behaviour Policy. Every "
        "record held about you is listed below and included in full in data.json and the csv "
        "folder; letters are in the letters folder.")
    if flags:
        document.add_heading("Before release: redactions (Data Management Officer only)", 1)
        document.add_paragraph("Remove this section once the items below are redacted.")
        for flag in flags:
            document.add_paragraph(f"{flag['table']} {flag['row_id']}, {flag['field']}: "
                                   f"\u201c{flag['found']}\u201d ({flag['kind']})", style="List Bullet")
    skip = {"search_text", "version"}
    for name, title in PACK_TABLES:
        rows = records[name]
        document.add_heading(f"{title} ({len(rows)})", 1)
        if not rows:
            document.add_paragraph("None held.")
            continue
        for row in rows:
            if name == "audit_entry":
                who = row.get("username") or "system"
                changed = sorted(set((row.get("after") or {})) | set((row.get("before") or {})))
                text = (f"{_label(row['at'])}  {who}: {row['action'].replace('_', ' ')} "
                        f"({row['entity_type']} {row.get('entity_id') or ''})"
                        + (f"; fields: {', '.join(changed[:12])}" if changed else "")
                        + (f"; reason: {row['reason']}" if row.get("reason") else ""))
                document.add_paragraph(text, style="List Bullet")
                continue
            parts = []
            for key, value in row.items():
                if key in skip or value in (None, "", {}, []):
                    continue
                if key in _STAFF_COLUMNS and isinstance(value, int) and value in staff:
                    value = f"{staff[value]['name']} ({staff[value]['role']})"
                parts.append(f"{key.replace('_', ' ')}: {_label(value)}")
            document.add_paragraph("; ".join(parts), style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---- rectification ------------------------------------------------------------------------

RECTIFIABLE: dict[str, tuple[type, dict[str, bool]]] = {
    # table: (model, {field: required})
    "customer": (Customer, {"title": False, "first_name": True, "last_name": True,
                            "address_line1": False, "address_line2": False, "town": False,
                            "postcode": False, "phone": False, "email": False}),
    "incident": (Incident, {"description": True, "witnesses": False, "third_party_name": False,
                            "staff_affected": False}),
}
_MULTILINE = {"description", "witnesses"}


def _rectifiable_models() -> dict[str, tuple[type, dict[str, bool]]]:
    from core.models import CustomerVulnerability, ServiceReferral, ThirdPartyContact
    return RECTIFIABLE | {
        "customer_vulnerability": (CustomerVulnerability, {"details": False}),
        "third_party_contact": (ThirdPartyContact, {"name": True, "relationship_to_customer": False,
                                                    "phone": False, "email": False}),
        "service_referral": (ServiceReferral, {"description": True}),
    }


REMOVABLE_RECORDS = ("incident", "customer_vulnerability", "third_party_contact")


def rectifiable_records(actor: Actor, request_id: int, uow: UnitOfWork) -> list[dict]:
    """The records a rectification may change for this request's customer, with current values."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    models = _rectifiable_models()
    with uow:
        request = _get_request(uow, request_id)
        out = []
        for name, (model, fields) in models.items():
            column = model.id if name == "customer" else model.customer_id
            for obj in uow.session.scalars(select(model).where(column == request.customer_id).order_by(model.id)):
                values = {f: getattr(obj, f) for f in fields}
                summary = next((str(v) for v in values.values() if v), "")
                out.append({"entity_type": name, "entity_id": obj.id, "fields": values,
                            "label": f"{name.replace('_', ' ')} {obj.id}: {summary[:60]}",
                            "removable": name in REMOVABLE_RECORDS})
        return out


def _target(uow: UnitOfWork, customer_id: int, change: dict):
    models = _rectifiable_models()
    name = str(change.get("entity_type") or "customer")
    if name not in models:
        raise PolicyError(f"A rectification cannot change {name.replace('_', ' ')} records here; "
                          "annotate them instead.")
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
    spoc = s.scalars(select(T["spoc_request_incident"].c.spoc_request_id)
                     .where(T["spoc_request_incident"].c.incident_id == incident.id)).all()
    considerations = s.scalars(select(T["pvp_consideration"].c.id)
                               .where(T["pvp_consideration"].c.incident_id == incident.id)).all()
    on_pvp = s.scalar(select(func.count()).select_from(PvpEntry)
                      .where(_in(PvpEntry.consideration_id, considerations)))
    problems = []
    if decisions:
        problems.append(f"stage decision(s) {', '.join(map(str, decisions))}")
    if spoc:
        problems.append(f"SPOC request(s) {', '.join(map(str, spoc))}")
    if on_pvp:
        problems.append("a PVP register entry")
    if problems:
        raise PolicyError(f"Incident {incident.id} cannot be removed: it is the evidence for "
                          f"{' and '.join(problems)}. Annotate it instead, or have the decision "
                          "reviewed or overturned first.")
    s.execute(update(T["service_referral"]).where(T["service_referral"].c.incident_id == incident.id)
              .values(incident_id=None))
    s.execute(delete(T["pvp_consideration"]).where(T["pvp_consideration"].c.incident_id == incident.id))
    s.execute(delete(T["annotation"]).where(T["annotation"].c.entity_type == "incident",
                                            T["annotation"].c.entity_id == incident.id))
    counts = {"behaviours": len(incident.behaviours), "pvp_considerations": len(considerations)}
    s.delete(incident)
    return counts


def _conceal(before: dict) -> dict:
    """Removed text is irrelevant or inaccurate data: the append-only log records that it was
    removed and its length, not the text itself."""
    return {k: f"<removed: {len(v)} characters>" if isinstance(v, str) else v for k, v in before.items()}


def _rectify(uow: UnitOfWork, actor: Actor, customer_id: int, request_id: int, decision: str,
             change: dict, why: str, now: dt.datetime) -> dict:
    """Apply one amend or remove. Customer details, incidents and vulnerabilities change through
    the same functions a team leader's correction uses (customers.apply_customer_correction,
    incidents.apply_incident_amendment, customers.delete_vulnerability), so every rule and the
    'amended on ... by ...' mark apply alike; nothing is committed here."""
    name, _model, fields, obj = _target(uow, customer_id, change)
    field = change.get("field")
    if decision == "remove" and not field:
        if name not in REMOVABLE_RECORDS:
            raise PolicyError(f"A whole {name.replace('_', ' ')} record cannot be removed; "
                              "remove or amend a field instead.")
        entity_id = obj.id
        if name == "customer_vulnerability":
            customer_service.delete_vulnerability(uow, actor, entity_id, why, action="rectify_remove_record",
                                                  redact_before=lambda before: {"id": before["id"]})
            return {"entity_type": name, "entity_id": entity_id, "removed": True}
        if name == "incident":
            counts = _remove_incident(uow, obj, request_id)
        else:   # a third-party contact (stopping one keeps the row; removal deletes it)
            counts = {}
            uow.session.delete(obj)
        uow.audit(actor, "rectify_remove_record", entity_type=name, entity_id=entity_id,
                  customer_id=customer_id, before={"id": entity_id, **counts}, after=None, reason=why)
        return {"entity_type": name, "entity_id": entity_id, "removed": True}
    if field not in fields:
        raise PolicyError(f"{field!r} cannot be changed on a {name.replace('_', ' ')} "
                          f"record; choose one of: {', '.join(fields)}.")
    label = field.replace("_", " ").capitalize()
    old = getattr(obj, field)
    if decision == "amend":
        new = change.get("value")
        if isinstance(new, str) and new.strip() == (old or ""):
            raise PolicyError(f"{label} already holds that value.")
    else:
        if fields[field] and field not in _MULTILINE:
            raise PolicyError(f"{label} cannot be removed, only amended.")
        new = f"[removed following rectification request {request_id}]" if fields[field] else ""
        if new == old:
            raise PolicyError(f"{label} already holds that value.")
    action = f"rectify_{decision}"
    redact = _conceal if decision == "remove" else None
    if name == "customer":
        details = replace(customer_service.customer_details(obj), **{field: new})
        customer_service.apply_customer_correction(uow, actor, obj.id, details, why, now, action=action,
                                                   redact_before=redact)
    elif name == "incident":
        # The DMO's decision, with its reason, is the wording check: the data-requests page has
        # no language prompt, and the unchanged fields were checked when the incident was saved.
        form = replace(incident_service.incident_form(uow, obj), **{field: new}, wording_checked=True)
        incident_service.apply_incident_amendment(uow, actor, obj.id, form, why, now, action=action,
                                                  redact_before=redact)
    else:   # vulnerability details, third-party contact and referral text: no other service edits them
        cleaner = clean_text if field in _MULTILINE else clean_line
        new = cleaner(new, label, required=fields[field])
        if new == old:
            raise PolicyError(f"{label} already holds that value.")
        before = {field: old}
        setattr(obj, field, new)
        uow.audit(actor, action, obj, before=redact(before) if redact else before, after={field: new},
                  reason=why)
    return {"entity_type": name, "entity_id": obj.id, "field": field}


def decide_rectification(actor: Actor, request_id: int, decision: str, reason: str,
                         changes: Optional[list[dict]], uow: UnitOfWork,
                         now: Optional[dt.datetime] = None) -> dict:
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
                note = Annotation(customer_id=customer_id, entity_type=name, entity_id=entity_id,
                                  text=text, by_id=actor.user_id, at=now)
                uow.session.add(note)
                uow.audit(actor, "annotate_record", note, after=snapshot(note), reason=why)
                applied.append({"entity_type": name, "entity_id": entity_id, "annotation_id": note.id})
        elif decision in ("amend", "remove"):
            for change in changes:
                applied.append(_rectify(uow, actor, customer_id, request_id, decision, change, why, now))
        _close(uow, actor, request, decision, reason, now)
        uow.commit()
        return {"request_id": request_id, "decision": decision, "applied": applied}


# ---- erasure ------------------------------------------------------------------------------

def _holds(s, customer: Customer) -> rules.Holds:
    cases = select(Case.id).where(Case.customer_id == customer.id)
    return rules.Holds(
        active_formal_actions=s.scalar(select(func.count()).select_from(FormalAction).where(
            FormalAction.case_id.in_(cases), FormalAction.status == ActionStatus.ACTIVE)) or 0,
        active_spoc_entries=s.scalar(select(func.count()).select_from(SpocEntry).where(
            SpocEntry.customer_id == customer.id, SpocEntry.status == RegisterStatus.ACTIVE)) or 0,
        active_pvp_entries=s.scalar(select(func.count()).select_from(PvpEntry).where(
            PvpEntry.customer_id == customer.id, PvpEntry.status == RegisterStatus.ACTIVE)) or 0,
        open_appeals=s.scalar(select(func.count()).select_from(Appeal).where(
            Appeal.case_id.in_(cases), Appeal.decided_on.is_(None))) or 0,
        legal_hold=bool(customer.legal_hold), legal_hold_reason=customer.legal_hold_reason or "",
    )


def erasure_check(actor: Actor, customer_id: int, uow: UnitOfWork) -> list[str]:
    """Why this customer's data cannot be erased now (empty: it can)."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    with uow:
        return rules.erasure_blockers(_holds(uow.session, _customer(uow, customer_id)))


# Free text blanked on erasure; the facts (dates, categories, behaviours, stages, areas) stay.
ERASE_FIELDS: dict[str, dict[str, Any]] = {
    "customer_vulnerability": {"details": ""},
    "incident": {"description": "[erased]", "third_party_name": "", "witnesses": "",
                 "staff_affected": "", "police_reference": "", "police_not_referred_reason": ""},
    "service_referral": {"description": "[erased]", "resolution": ""},
    "case_file": {"closure_reason": ""},
    "stage_event": {"reason": "", "skip_reason": "", "underlying_issues_notes": "", "adjustments": ""},
    "formal_action": {"terms": "", "ended_reason": ""},
    "review": {"evidence_considered": "", "notes": ""},
    "appeal": {"grounds": "", "late_accepted_reason": "", "decision_notes": ""},
    "letter": {"content": b"", "filename": "", "checksum": ""},
    "spoc_request": {"reason": "[erased]", "attendees": "", "discussion": "", "decision_reason": ""},
    "spoc_entry": {"terms": "", "contact_times": "", "contact_limit": "", "ended_reason": ""},
    "pvp_consideration": {"closed_reason": ""},
    "pvp_entry": {"reasons": "[erased]", "arrangements": "", "not_notified_reason": "", "ended_reason": ""},
    "data_request": {"details": ""},
}
ERASE_DELETE = ("third_party_contact", "annotation")
_CHECKLIST_TABLES = ("stage_event", "formal_action")


def erase_customer(actor: Actor, request_id: int, uow: UnitOfWork, reason: str = "",
                   now: Optional[dt.datetime] = None) -> dict:
    """Erase a customer's personal data, keeping the anonymised facts used for statistics.

    Refused, with every reason, while a restriction or register entry is active, an appeal is
    open or the record is under a legal hold. Audit entries are append-only and stay as they are.
    """
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    reason = clean_text(reason, "Reason", max_len=4000) or "Erasure request granted."
    now = now or utcnow()
    with uow:
        s = uow.session
        request = _open_request(uow, request_id, DataRequestKind.ERASURE)
        customer = _customer(uow, request.customer_id)
        if customer.anonymised_at is not None:
            raise PolicyError("This customer's personal data has already been erased.")
        blockers = rules.erasure_blockers(_holds(s, customer))
        if blockers:
            raise PolicyError("This customer's data cannot be erased: " + " ".join(blockers))
        records = _collect(s, customer.id)
        blanked: dict[str, int] = {}
        for name, values in ERASE_FIELDS.items():
            ids = _ids(records[name])
            if ids:
                s.execute(update(T[name]).where(T[name].c.id.in_(ids)).values(**values))
                blanked[name] = len(ids)
        for name in _CHECKLIST_TABLES:   # keep yes/no checklist facts, drop any text
            for row in records[name]:
                details = row.get("details") or {}
                kept = {k: v for k, v in details.items() if isinstance(v, bool)}
                if kept != details:
                    s.execute(update(T[name]).where(T[name].c.id == row["id"]).values(details=kept))
        if blanked.get("case_file"):
            s.execute(update(T["case_file"]).where(T["case_file"].c.id.in_(_ids(records["case_file"])))
                      .values(version=T["case_file"].c.version + 1))
        deleted = {}
        for name in ERASE_DELETE:
            ids = _ids(records[name])
            if ids:
                s.execute(delete(T[name]).where(T[name].c.id.in_(ids)))
                deleted[name] = len(ids)
        s.expire_all()
        customer = _customer(uow, request.customer_id)
        customer.title, customer.first_name, customer.last_name = "", "Erased", f"customer {customer.id}"
        customer.housing_ref = f"ERASED-{customer.id}"
        customer.address_line1 = customer.address_line2 = customer.town = customer.postcode = ""
        customer.phone = customer.email = customer.search_text = customer.legal_hold_reason = ""
        customer.anonymised_at, customer.amended_at, customer.amended_by_id = now, now, actor.user_id
        request = _get_request(uow, request_id)
        uow.audit(actor, "erase_customer", entity_type="customer", entity_id=customer.id,
                  customer_id=customer.id,
                  before={"personal_data_fields_blanked": blanked, "records_deleted": deleted},
                  after={"anonymised_at": now.isoformat(), "kept_for_statistics": _counts(
                      {k: v for k, v in records.items() if k not in ERASE_DELETE and k != "audit_entry"})},
                  reason=f"Erasure request {request_id}: {reason}")
        _close(uow, actor, request, "erased", reason, now)
        uow.commit()
        return {"customer_id": customer.id, "blanked": blanked, "deleted": deleted,
                "audit_entries_kept": len(records["audit_entry"])}


def set_legal_hold(actor: Actor, customer_id: int, on: bool, reason: str, uow: UnitOfWork) -> None:
    """Put a customer's records under (or release them from) a legal hold, with a reason."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    reason = clean_text(reason, "Reason for the legal hold", required=True, max_len=2000)
    with uow:
        customer = _customer(uow, customer_id)
        if customer.anonymised_at is not None:
            raise PolicyError("This customer's personal data has already been erased.")
        if bool(customer.legal_hold) == bool(on):
            raise PolicyError("The legal hold is already " + ("on." if on else "off."))
        before = {"legal_hold": customer.legal_hold, "legal_hold_reason": customer.legal_hold_reason}
        customer.legal_hold, customer.legal_hold_reason = bool(on), reason if on else ""
        uow.audit(actor, "set_legal_hold", customer, before=before,
                  after={"legal_hold": customer.legal_hold, "legal_hold_reason": customer.legal_hold_reason},
                  reason=reason)
        uow.commit()


# ---- retention ----------------------------------------------------------------------------

_ACTIVITY = [  # (table, case column, date/time columns that count as activity)
    ("incident", "case_id", ("occurred_at", "recorded_at", "amended_at")),
    ("stage_event", "case_id", ("decided_on", "recorded_at")),
    ("formal_action", "case_id", ("starts_on", "ended_on")),
    ("review", "case_id", ("held_on", "recorded_at")),
    ("appeal", "case_id", ("received_on", "decided_on", "recorded_at")),
    ("letter", "case_id", ("created_at", "sent_on")),
    ("service_referral", "case_id", ("raised_at", "resolved_at")),
    ("spoc_request", "case_id", ("requested_at", "decided_at")),
    ("spoc_entry", "case_id", ("starts_on", "ended_on")),
]


def _as_date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return None


def _stale_cases(s, today: dt.date, years: int, case_ids: Optional[Iterable[int]] = None) -> list[dict]:
    cutoff = rules.retention_cutoff(today, years)
    closed_by = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    stmt = (select(Case, Customer).join(Customer, Customer.id == Case.customer_id)
            .where(Case.stage == Stage.CLOSED, Case.closed_at < closed_by))  # closed later: not yet due
    if case_ids is not None:
        stmt = stmt.where(_in(Case.id, case_ids))
    rows = s.execute(stmt.order_by(Case.id)).all()
    latest: dict[int, dt.date] = {}
    for case, _ in rows:
        for value in (case.opened_at, case.closed_at):
            if _as_date(value):
                latest[case.id] = max(latest.get(case.id, dt.date.min), _as_date(value))
    ids = [case.id for case, _ in rows]
    for name, case_col, columns in _ACTIVITY:
        table = T[name]
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            stmt = (select(table.c[case_col], *[func.max(table.c[col]) for col in columns])
                    .where(table.c[case_col].in_(part)).group_by(table.c[case_col]))
            for case_id, *values in s.execute(stmt):
                for value in values:
                    if _as_date(value):
                        latest[case_id] = max(latest.get(case_id, dt.date.min), _as_date(value))
    out = []
    for case, customer in rows:
        last = latest.get(case.id, dt.date.min)
        if not rules.is_due_for_deletion(True, last, today, years):
            continue
        open_requests = s.scalar(select(func.count()).select_from(DataRequest).where(
            DataRequest.customer_id == customer.id, DataRequest.status == "open")) or 0
        active = s.scalar(select(func.count()).select_from(FormalAction).where(
            FormalAction.case_id == case.id, FormalAction.status == ActionStatus.ACTIVE)) or 0
        blockers = rules.retention_blockers(rules.Holds(
            legal_hold=bool(customer.legal_hold), legal_hold_reason=customer.legal_hold_reason or ""))
        if open_requests:
            blockers.append("The customer has an open data-protection request.")
        if active:
            blockers.append("A restriction on this case is still marked active.")
        out.append({"case_id": case.id, "customer_id": customer.id,
                    "customer": f"{customer.full_name} ({customer.housing_ref})",
                    "closed_at": _as_date(case.closed_at), "last_activity": last,
                    "blocked": bool(blockers), "blocked_reason": " ".join(blockers)})
    return out


def retention_candidates(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None,
                         years: Optional[int] = None) -> dict:
    """Closed cases with no activity for the retention period (default 6 years, or
    FT_RETENTION_YEARS), for the DMO to review before confirming deletion."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    years = rules.retention_years(years)
    with uow:
        return {"years": years, "cutoff": rules.retention_cutoff(today, years),
                "cases": _stale_cases(uow.session, today, years)}


def _delete_records(s, records: dict[str, list[dict]]) -> dict[str, int]:
    deleted = {}
    if records["pvp_consideration"]:   # a register entry that stays no longer points at it
        s.execute(update(T["pvp_entry"]).where(
            T["pvp_entry"].c.consideration_id.in_(_ids(records["pvp_consideration"])))
            .values(consideration_id=None))
    for name in DELETE_ORDER:
        rows = records.get(name) or []
        if not rows:
            continue
        table = T[name]
        if name in _LINK_KEYS:
            first, second = _LINK_KEYS[name]
            for row in rows:
                s.execute(delete(table).where(table.c[first] == row[first], table.c[second] == row[second]))
        else:
            ids = sorted(_ids(rows))
            for chunk in range(0, len(ids), 500):
                s.execute(delete(table).where(table.c.id.in_(ids[chunk:chunk + 500])))
        deleted[name] = len(rows)
    return deleted


def _nothing_else_left(s, customer: Customer) -> bool:
    def count(model, *where) -> int:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0
    live = (RegisterStatus.ACTIVE, RegisterStatus.PENDING)
    return not (customer.legal_hold
                or count(Case, Case.customer_id == customer.id)
                or count(Incident, Incident.customer_id == customer.id)
                or count(SpocEntry, SpocEntry.customer_id == customer.id, SpocEntry.status.in_(live))
                or count(PvpEntry, PvpEntry.customer_id == customer.id, PvpEntry.status.in_(live))
                or count(DataRequest, DataRequest.customer_id == customer.id, DataRequest.status == "open"))


def confirm_retention_deletion(actor: Actor, case_ids: list[int], uow: UnitOfWork,
                               today: Optional[dt.date] = None, years: Optional[int] = None) -> dict:
    """Delete the confirmed cases completely, across every table and letter; the customer too
    when nothing else is left. Audit entries stay; the deletion itself is audited with record
    ids and counts only, never the deleted personal data."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    today = today or dt.date.today()
    years = rules.retention_years(years)
    wanted = sorted({int(c) for c in case_ids or []})
    if not wanted:
        raise PolicyError("Choose at least one case to delete.")
    totals: dict[str, int] = {}
    customers_deleted: list[int] = []
    with uow:
        s = uow.session
        due = {c["case_id"]: c for c in _stale_cases(s, today, years, wanted)}
        problems = [f"case {cid} is not due for deletion (not closed, or active within "
                    f"{years} years)" for cid in wanted if cid not in due]
        problems += [f"case {cid}: {due[cid]['blocked_reason']}" for cid in wanted
                     if cid in due and due[cid]["blocked"]]
        if problems:
            raise PolicyError("Nothing was deleted: " + "; ".join(problems) + ".")
        rule = f"Retention: closed, no activity for {years} years (cut-off {rules.retention_cutoff(today, years):%d %B %Y})."
        by_customer: dict[int, set[int]] = {}
        for cid in wanted:
            by_customer.setdefault(due[cid]["customer_id"], set()).add(cid)
        for customer_id, cases in by_customer.items():
            records = _collect(s, customer_id, cases)
            ids = {name: sorted(_ids(rows)) for name, rows in records.items()
                   if rows and name not in _LINK_KEYS}
            deleted = _delete_records(s, records)
            for cid in sorted(cases):
                uow.audit(actor, "retention_delete_case", entity_type="case_file", entity_id=cid,
                          customer_id=customer_id, before={"record_ids": ids, "counts": deleted},
                          after=None, reason=rule)
            for name, n in deleted.items():
                totals[name] = totals.get(name, 0) + n
            s.expire_all()
            customer = s.get(Customer, customer_id)
            if _nothing_else_left(s, customer):
                rest = _collect(s, customer_id)
                rest["audit_entry"] = []
                gone = _delete_records(s, rest)
                uow.audit(actor, "retention_delete_customer", entity_type="customer",
                          entity_id=customer_id, customer_id=customer_id,
                          before={"counts": gone}, after=None, reason=rule)
                for name, n in gone.items():
                    totals[name] = totals.get(name, 0) + n
                customers_deleted.append(customer_id)
        uow.commit()
    return {"cases_deleted": wanted, "customers_deleted": customers_deleted, "rows_deleted": totals}


# ---- access log -----------------------------------------------------------------------------

def record_access(actor: Actor, customer_id: int, what: str, uow: UnitOfWork) -> None:
    """Record that this user viewed a customer's records (who, when, what)."""
    require(actor, Permission.VIEW_CASES)
    what = clean_line(what or "case", "What was viewed", max_len=60)
    with uow:
        _customer(uow, customer_id)
        uow.session.add(AccessLog(user_id=actor.user_id, customer_id=customer_id, what=what))
        uow.commit()
