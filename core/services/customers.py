"""Customer records: create, find, read, correct (with a reason, clause 6), vulnerabilities
(clause 2.3) and third-party contact (clause 4.1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Channel, Vulnerability
from core.errors import NotFound, PolicyError, StaleRecord
from core.models import Customer, CustomerVulnerability, ThirdPartyContact, User, utcnow
from core.permissions import Actor, Permission, require
from core.services.customer_records import (  # noqa: F401  (re-exported: their home was here)
    SEARCH_LIMIT,
    ContactRow,
    CustomerRecord,
    CustomerRow,
    OpenCaseRow,
    VulnerabilityRow,
    _contact,
    _summary,
    open_cases,
    search_customers,
)
from core.validation import clean_line, clean_text, parse_enum, record_id


@dataclass
class CustomerDetails:
    first_name: str
    last_name: str
    housing_ref: str
    title: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    preferred_contact: str = Channel.PHONE.value
    service_area_id: int | None = None
    vulnerabilities: dict[str, str] = field(default_factory=dict)  # kind code -> details


def search_text_for(c: Customer) -> str:
    parts = (c.first_name, c.last_name, c.housing_ref, c.address_line1, c.address_line2, c.town, c.postcode)
    return " ".join(p for p in parts if p).lower()[:600]


def _clean(details: CustomerDetails) -> dict:
    return {
        "first_name": clean_line(details.first_name, "First name", required=True, max_len=100),
        "last_name": clean_line(details.last_name, "Last name", required=True, max_len=100),
        "housing_ref": clean_line(
            details.housing_ref, "Housing-system reference", required=True, max_len=40
        ).upper(),
        "title": clean_line(details.title, "Title", max_len=20),
        "address_line1": clean_line(details.address_line1, "Address line 1"),
        "address_line2": clean_line(details.address_line2, "Address line 2"),
        "town": clean_line(details.town, "Town", max_len=100),
        "postcode": clean_line(details.postcode, "Postcode", max_len=12).upper(),
        "phone": clean_line(details.phone, "Phone", max_len=40),
        "email": clean_line(details.email, "Email"),
        "preferred_contact": parse_enum(Channel, details.preferred_contact, "Preferred contact"),
        "service_area_id": details.service_area_id,
    }


def create_customer(actor: Actor, details: CustomerDetails, uow: UnitOfWork) -> int:
    require(actor, Permission.RECORD_INCIDENTS)
    values = _clean(details)
    with uow:
        if uow.session.scalar(select(Customer.id).where(Customer.housing_ref == values["housing_ref"])):
            raise PolicyError(f"A customer with reference {values['housing_ref']} already exists.")
        customer = Customer(**values)
        customer.search_text = search_text_for(customer)
        for kind, text in details.vulnerabilities.items():
            customer.vulnerabilities.append(
                CustomerVulnerability(
                    kind=parse_enum(Vulnerability, kind, "Vulnerability"),
                    details=clean_text(text, "Vulnerability details"),
                    recorded_by_id=actor.user_id,
                )
            )
        uow.session.add(customer)
        uow.audit(actor, "create_customer", customer, after=snapshot(customer))
        uow.commit()
        return customer.id


def get_customer(actor: Actor, customer_id: int, uow: UnitOfWork) -> CustomerRecord:
    require(actor, Permission.VIEW_CASES)
    with uow:
        c = uow.session.get(Customer, customer_id) if record_id(customer_id) else None
        if c is None:
            raise NotFound("No such customer.")
        amended_by = uow.session.get(User, c.amended_by_id) if c.amended_by_id else None
        return CustomerRecord(
            id=c.id,
            name=c.full_name,
            housing_ref=c.housing_ref,
            title=c.title,
            first_name=c.first_name,
            last_name=c.last_name,
            address=c.address,
            address_line1=c.address_line1,
            address_line2=c.address_line2,
            town=c.town,
            postcode=c.postcode,
            phone=c.phone,
            email=c.email,
            preferred_contact=c.preferred_contact,
            preferred_contact_label=c.preferred_contact.label,
            service_area_id=c.service_area_id,
            legal_hold=c.legal_hold,
            created_at=c.created_at,
            amended_at=c.amended_at,
            amended_by=amended_by.name if amended_by else "",
            version=c.version,
            vulnerabilities=tuple(
                VulnerabilityRow(id=v.id, kind=v.kind, label=v.kind.label, details=v.details)
                for v in c.vulnerabilities
            ),
            third_party_contacts=tuple(_contact(t) for t in c.third_party_contacts),
        )


def _get(uow: UnitOfWork, customer_id: int, lock: bool = False) -> Customer:
    """The customer; `lock` takes the row lock first (PostgreSQL) so a save made at the same
    moment is seen as a newer version."""
    customer = uow.session.get(Customer, customer_id, with_for_update=lock or None)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def add_third_party_contact(
    actor: Actor,
    customer_id: int,
    name: str,
    relationship: str,
    uow: UnitOfWork,
    phone: str = "",
    email: str = "",
) -> int:
    require(actor, Permission.RECORD_INCIDENTS)
    with uow:
        customer = _get(uow, customer_id)
        contact = ThirdPartyContact(
            name=clean_line(name, "Third party's name", required=True),
            relationship_to_customer=clean_line(relationship, "Relationship", max_len=100),
            phone=clean_line(phone, "Phone", max_len=40),
            email=clean_line(email, "Email"),
        )
        customer.third_party_contacts.append(contact)
        uow.audit(actor, "add_third_party_contact", contact, after=snapshot(contact))
        uow.commit()
        return contact.id


def customer_details(customer: Customer) -> CustomerDetails:
    """A customer's current details, as a correction starts from them (vulnerabilities are
    recorded and removed on their own, so they are left out)."""
    return CustomerDetails(
        first_name=customer.first_name,
        last_name=customer.last_name,
        housing_ref=customer.housing_ref,
        title=customer.title,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        town=customer.town,
        postcode=customer.postcode,
        phone=customer.phone,
        email=customer.email,
        preferred_contact=customer.preferred_contact.value,
        service_area_id=customer.service_area_id,
    )


def apply_customer_correction(
    uow: UnitOfWork,
    actor: Actor,
    customer_id: int,
    details: CustomerDetails,
    reason: str,
    now: dt.datetime | None = None,
    *,
    action: str = "amend_customer",
    redact_before: Callable[[dict], dict] | None = None,
    expected_version: int | None = None,
) -> dict:
    """The one place a customer's details are corrected (clause 6): checks the details, changes
    the record, refreshes its search text, marks it 'amended on ... by ...' and audits the
    before/after with the reason. It does not check permissions or commit: the caller does both
    (update_customer for a team leader; a DMO's rectification decision, so the decision and the
    change commit or roll back together). `redact_before` rewrites the audit's before-values
    (a removal keeps the removed text out of the append-only log). `expected_version` is the
    version the user saw: a record saved by someone else since is refused (StaleRecord).
    Returns the changed values."""
    if not (reason or "").strip():
        raise PolicyError("Reason for the correction is required.")
    values = _clean(details)
    customer = _get(uow, customer_id, lock=expected_version is not None)
    if expected_version is not None and customer.version != expected_version:
        raise StaleRecord("customer")
    if customer.anonymised_at is not None:
        raise PolicyError("This customer's record has been anonymised and cannot be changed.")
    if values["housing_ref"] != customer.housing_ref and uow.session.scalar(
        select(Customer.id).where(Customer.housing_ref == values["housing_ref"])
    ):
        raise PolicyError(f"A customer with reference {values['housing_ref']} already exists.")
    before = snapshot(customer)
    for key, value in values.items():
        setattr(customer, key, value)
    customer.search_text = search_text_for(customer)
    old, new = changed_fields(before, snapshot(customer))
    if not new:
        raise PolicyError("Nothing was changed, so there is nothing to correct.")
    customer.amended_at = now or utcnow()
    customer.amended_by_id = actor.user_id
    uow.audit(
        actor, action, customer, before=redact_before(old) if redact_before else old, after=new, reason=reason
    )
    return new


def update_customer(
    actor: Actor,
    customer_id: int,
    details: CustomerDetails,
    reason: str,
    uow: UnitOfWork,
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> None:
    """Correct a customer's details (clause 6). The reason is required; the earlier values stay
    in the audit log and the record shows 'amended on ... by ...'. Vulnerabilities are recorded
    and removed on their own (record_vulnerability / remove_vulnerability). `expected_version`
    (the version the user opened) refuses a save over someone else's newer correction."""
    require(actor, Permission.RECORD_INCIDENTS)
    reason = clean_text(reason, "Reason for the correction", required=True, max_len=2000)
    try:
        with uow:
            apply_customer_correction(
                uow, actor, customer_id, details, reason, now, expected_version=expected_version
            )
            uow.commit()
    except StaleRecord:
        raise StaleRecord("customer") from None


def record_vulnerability(actor: Actor, customer_id: int, kind: str, details: str, uow: UnitOfWork) -> int:
    """Record an underlying issue to consider (clause 2.3): disability, mental health,
    learning difficulties, language or another vulnerability."""
    require(actor, Permission.RECORD_INCIDENTS)
    vulnerability_kind = parse_enum(Vulnerability, kind, "Vulnerability")
    text = clean_text(details, "Vulnerability details", max_len=2000)
    with uow:
        customer = _get(uow, customer_id)
        vulnerability = CustomerVulnerability(
            kind=vulnerability_kind, details=text, recorded_by_id=actor.user_id
        )
        customer.vulnerabilities.append(vulnerability)
        uow.audit(actor, "record_vulnerability", vulnerability, after=snapshot(vulnerability))
        uow.commit()
        return vulnerability.id


def delete_vulnerability(
    uow: UnitOfWork,
    actor: Actor,
    vulnerability_id: int,
    reason: str,
    *,
    action: str = "remove_vulnerability",
    redact_before: Callable[[dict], dict] | None = None,
) -> int:
    """The one place a recorded vulnerability is removed: deletes it and audits the removed entry
    with the reason. No permission check and no commit: the caller does both (see
    apply_customer_correction). Returns the customer's id."""
    if not (reason or "").strip():
        raise PolicyError("Reason for removing it is required.")
    vulnerability = uow.session.get(CustomerVulnerability, vulnerability_id)
    if vulnerability is None:
        raise NotFound("No such vulnerability record.")
    before = snapshot(vulnerability)
    customer_id = vulnerability.customer_id
    uow.audit(
        actor,
        action,
        entity_type="customer_vulnerability",
        entity_id=vulnerability.id,
        customer_id=customer_id,
        before=redact_before(before) if redact_before else before,
        reason=reason,
    )
    uow.session.delete(vulnerability)
    return customer_id


def remove_vulnerability(actor: Actor, vulnerability_id: int, reason: str, uow: UnitOfWork) -> None:
    """Remove a recorded vulnerability (e.g. recorded in error); the reason is required and the
    removed entry stays in the audit log."""
    require(actor, Permission.RECORD_INCIDENTS)
    reason = clean_text(reason, "Reason for removing it", required=True, max_len=2000)
    with uow:
        delete_vulnerability(uow, actor, vulnerability_id, reason)
        uow.commit()


def stop_third_party_contact(
    actor: Actor, contact_id: int, reason: str, uow: UnitOfWork, today: dt.date | None = None
) -> None:
    """Stop contact via a third party (clause 4.1: e.g. that person behaved unacceptably);
    NPH then deals directly with the customer. The reason is required."""
    require(actor, Permission.RECORD_INCIDENTS)
    reason = clean_text(reason, "Reason for stopping the arrangement", required=True, max_len=2000)
    with uow:
        contact = uow.session.get(ThirdPartyContact, contact_id)
        if contact is None:
            raise NotFound("No such third-party contact.")
        if not contact.active:
            raise PolicyError("This third-party contact arrangement has already been stopped.")
        before = snapshot(contact)
        contact.active = False
        contact.stopped_on = today or dt.date.today()
        contact.stopped_reason = reason
        old, new = changed_fields(before, snapshot(contact))
        uow.audit(actor, "stop_third_party_contact", contact, before=old, after=new, reason=reason)
        uow.commit()
