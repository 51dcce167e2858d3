"""Erasure requests and legal holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, update

from core.db import UnitOfWork
from core.enums import ActionStatus, DataRequestKind, RegisterStatus
from core.errors import PolicyError
from core.models import (
    Appeal,
    Case,
    Customer,
    FormalAction,
    PvpEntry,
    SpocEntry,
    utcnow,
)
from core.permissions import Actor, Permission, require
from core.policy import dataprotection as rules
from core.services.dataprotection._common import (
    T,
    _close,
    _counts,
    _customer,
    _get_request,
    _ids,
    _open_request,
)
from core.services.dataprotection.collect import _collect
from core.validation import clean_text

# ---- erasure ------------------------------------------------------------------------------


def _holds(s, customer: Customer) -> rules.Holds:
    cases = select(Case.id).where(Case.customer_id == customer.id)
    return rules.Holds(
        active_formal_actions=s.scalar(
            select(func.count())
            .select_from(FormalAction)
            .where(FormalAction.case_id.in_(cases), FormalAction.status == ActionStatus.ACTIVE)
        )
        or 0,
        active_spoc_entries=s.scalar(
            select(func.count())
            .select_from(SpocEntry)
            .where(SpocEntry.customer_id == customer.id, SpocEntry.status == RegisterStatus.ACTIVE)
        )
        or 0,
        active_pvp_entries=s.scalar(
            select(func.count())
            .select_from(PvpEntry)
            .where(PvpEntry.customer_id == customer.id, PvpEntry.status == RegisterStatus.ACTIVE)
        )
        or 0,
        open_appeals=s.scalar(
            select(func.count())
            .select_from(Appeal)
            .where(Appeal.case_id.in_(cases), Appeal.decided_on.is_(None))
        )
        or 0,
        legal_hold=bool(customer.legal_hold),
        legal_hold_reason=customer.legal_hold_reason or "",
    )


def erasure_check(actor: Actor, customer_id: int, uow: UnitOfWork) -> list[str]:
    """Why this customer's data cannot be erased now (empty: it can)."""
    require(actor, Permission.HANDLE_DATA_REQUESTS)
    with uow:
        return rules.erasure_blockers(_holds(uow.session, _customer(uow, customer_id)))


# Free text blanked on erasure; the facts (dates, categories, behaviours, stages, areas) stay.
ERASE_FIELDS: dict[str, dict[str, Any]] = {
    "customer_vulnerability": {"details": ""},
    "incident": {
        "description": "[erased]",
        "third_party_name": "",
        "witnesses": "",
        "staff_affected": "",
        "police_reference": "",
        "police_not_referred_reason": "",
    },
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
    "contact_log": {"summary": "[erased]", "with_whom": ""},
    "partner_referral": {"reference": "", "details": "", "outcome": ""},
    "check_note": {"who_to_ask": ""},
}
# The household (an address others may share) stays; this customer's membership goes.
ERASE_DELETE = ("third_party_contact", "annotation", "attachment", "household_member", "communication_needs")
_CHECKLIST_TABLES = ("stage_event", "formal_action")


# Written over an erased customer's audit payloads; migration 0004's triggers accept no other change.
REDACTED: dict[str, str] = {"redacted": "personal data erased"}


def _blank_records(s, records: dict[str, list[dict]]) -> tuple[dict[str, int], dict[str, int]]:
    """Blank the free text (ERASE_FIELDS), keep only yes/no checklist facts, delete the rows that
    are nothing but personal data (ERASE_DELETE). Returns (blanked, deleted) counts per table."""
    blanked: dict[str, int] = {}
    for name, values in ERASE_FIELDS.items():
        ids = _ids(records[name])
        if ids:
            s.execute(update(T[name]).where(T[name].c.id.in_(ids)).values(**values))
            blanked[name] = len(ids)
    for name in _CHECKLIST_TABLES:  # keep yes/no checklist facts, drop any text
        for row in records[name]:
            details = row.get("details") or {}
            kept = {k: v for k, v in details.items() if isinstance(v, bool)}
            if kept != details:
                s.execute(update(T[name]).where(T[name].c.id == row["id"]).values(details=kept))
    if blanked.get("case_file"):
        s.execute(
            update(T["case_file"])
            .where(T["case_file"].c.id.in_(_ids(records["case_file"])))
            .values(version=T["case_file"].c.version + 1)
        )
    from core.services.attachments import remove_stored_files  # issue 16: files kept in a folder

    remove_stored_files(records["attachment"])
    deleted = {}
    for name in ERASE_DELETE:
        ids = _ids(records[name])
        if ids:
            s.execute(delete(T[name]).where(T[name].c.id.in_(ids)))
            deleted[name] = len(ids)
    return blanked, deleted


def _anonymise(customer: Customer, actor: Actor, now: dt.datetime) -> None:
    customer.title, customer.first_name, customer.last_name = "", "Erased", f"customer {customer.id}"
    customer.housing_ref = f"ERASED-{customer.id}"
    customer.address_line1 = customer.address_line2 = customer.town = customer.postcode = ""
    customer.phone = customer.email = customer.search_text = customer.legal_hold_reason = ""
    customer.anonymised_at, customer.amended_at, customer.amended_by_id = now, now, actor.user_id


def _scrub_audit_payloads(s, customer_id: int) -> int:
    """Replace the before/after values of an erased customer's audit entries with REDACTED.

    The one change the audit log accepts (migration 0004): the database refuses it unless the
    customer is already marked erased, only the payloads change and they become exactly the
    marker. Who did what, to which record, when and why stays; nothing can be written in.
    Entries recorded without a customer id (some record-level entries) are not reachable
    this way and stay withheld from view instead."""
    result = s.execute(
        update(T["audit_entry"])
        .where(T["audit_entry"].c.customer_id == customer_id)
        .values(before=REDACTED, after=REDACTED)
    )
    return result.rowcount or 0


def erase_customer(
    actor: Actor, request_id: int, uow: UnitOfWork, reason: str = "", now: dt.datetime | None = None
) -> dict:
    """Erase a customer's personal data, keeping the anonymised facts used for statistics.

    Refused, with every reason, while a restriction or register entry is active, an appeal is
    open or the record is under a legal hold. Audit entries stay (append-only), but their
    before/after values about this customer are replaced by a redaction marker, so no erased
    value remains in the database; the erasure's own entry records counts only.
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
        blanked, deleted = _blank_records(s, records)
        s.expire_all()
        customer = _customer(uow, request.customer_id)
        _anonymise(customer, actor, now)
        s.flush()
        redacted = _scrub_audit_payloads(s, customer.id)
        request = _get_request(uow, request_id)
        uow.audit(
            actor,
            "erase_customer",
            entity_type="customer",
            entity_id=customer.id,
            customer_id=customer.id,
            before={
                "personal_data_fields_blanked": blanked,
                "records_deleted": deleted,
                "audit_payloads_redacted": redacted,
            },
            after={
                "anonymised_at": now.isoformat(),
                "kept_for_statistics": _counts(
                    {k: v for k, v in records.items() if k not in ERASE_DELETE and k != "audit_entry"}
                ),
            },
            reason=f"Erasure request {request_id}: {reason}",
        )
        _close(uow, actor, request, "erased", reason, now)
        uow.commit()
        return {
            "customer_id": customer.id,
            "blanked": blanked,
            "deleted": deleted,
            "audit_entries_kept": len(records["audit_entry"]),
            "audit_payloads_redacted": redacted,
        }


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
        uow.audit(
            actor,
            "set_legal_hold",
            customer,
            before=before,
            after={"legal_hold": customer.legal_hold, "legal_hold_reason": customer.legal_hold_reason},
            reason=reason,
        )
        uow.commit()
