"""One map of every row about a customer (`_collect`), which drives the subject access pack,
erasure, rectification and retention deletion alike."""

from __future__ import annotations

from sqlalchemy import and_

from core.services.dataprotection._common import (
    _LINK_KEYS,
    _REVIEW_SUBJECTS,
    PACK_TABLES,
    T,
    _ids,
    _in,
    _rows,
)


def _collect(s, customer_id: int, case_ids: set[int] | None = None) -> dict[str, list[dict]]:
    """Rows about a customer in every table (audit entries included).

    With `case_ids`, only the rows belonging to those cases (for retention deletion).
    """
    whole = case_ids is None
    out: dict[str, list[dict]] = {}
    cases, incidents, events = _collect_cases(s, customer_id, case_ids, out)
    _collect_registers(s, customer_id, whole, cases, incidents, events, out)
    _collect_evidence(s, customer_id, whole, cases, incidents | set(), events, out)
    _collect_notes_and_logs(s, customer_id, whole, out)
    return {name: out[name] for name, _ in PACK_TABLES}


def _collect_cases(
    s, customer_id: int, case_ids: set[int] | None, out: dict[str, list[dict]]
) -> tuple[set[int], set[int], set[int]]:
    """The customer, their vulnerabilities and contacts, the cases (all, or `case_ids`), their
    incidents, referrals, stage decisions and formal actions. Returns the case, incident and
    stage event ids collected."""
    whole = case_ids is None
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
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
    return cases, incidents, events


def _collect_registers(
    s,
    customer_id: int,
    whole: bool,
    cases: set[int],
    incidents: set[int],
    events: set[int],
    out: dict[str, list[dict]],
) -> None:
    """SPOC requests and entries, PVP considerations and entries, reviews, appeals and letters."""
    c = {name: T[name].c for name in T}
    mine = (lambda col: col == customer_id) if whole else (lambda col: None)
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
