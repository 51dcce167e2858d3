"""Customer records: create, find, read."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import or_, select

from core.db import UnitOfWork, snapshot
from core.enums import Channel, Vulnerability
from core.errors import NotFound, PolicyError
from core.models import Customer, CustomerVulnerability, ThirdPartyContact
from core.permissions import Actor, Permission, require
from core.validation import clean_line, clean_text, parse_enum

SEARCH_LIMIT = 50


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
    service_area_id: Optional[int] = None
    vulnerabilities: dict[str, str] = field(default_factory=dict)   # kind code -> details


def search_text_for(c: Customer) -> str:
    parts = (c.first_name, c.last_name, c.housing_ref, c.address_line1, c.address_line2,
             c.town, c.postcode)
    return " ".join(p for p in parts if p).lower()[:600]


def _clean(details: CustomerDetails) -> dict:
    return {
        "first_name": clean_line(details.first_name, "First name", required=True, max_len=100),
        "last_name": clean_line(details.last_name, "Last name", required=True, max_len=100),
        "housing_ref": clean_line(details.housing_ref, "Housing-system reference", required=True,
                                  max_len=40).upper(),
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
            customer.vulnerabilities.append(CustomerVulnerability(
                kind=parse_enum(Vulnerability, kind, "Vulnerability"),
                details=clean_text(text, "Vulnerability details"), recorded_by_id=actor.user_id))
        uow.session.add(customer)
        uow.audit(actor, "create_customer", customer, after=snapshot(customer))
        uow.commit()
        return customer.id


def search_customers(actor: Actor, query: str, uow: UnitOfWork, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Find by name, housing reference or address fragment (case-insensitive)."""
    if not (actor.can(Permission.VIEW_CASES) or actor.can(Permission.VIEW_ARRANGEMENTS)):
        require(actor, Permission.VIEW_CASES)
    words = clean_line(query, "Search", max_len=100).lower().split()
    if not words:
        return []
    with uow:
        stmt = select(Customer).where(Customer.anonymised_at.is_(None))
        for word in words[:5]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(or_(Customer.search_text.like(pattern, escape="\\"),
                                  Customer.housing_ref == word.upper()))
        rows = uow.session.scalars(stmt.order_by(Customer.last_name, Customer.first_name).limit(limit))
        return [{"id": c.id, "name": c.full_name, "housing_ref": c.housing_ref,
                 "address": c.address} for c in rows]


def get_customer(actor: Actor, customer_id: int, uow: UnitOfWork) -> dict:
    require(actor, Permission.VIEW_CASES)
    with uow:
        c = uow.session.get(Customer, customer_id)
        if c is None:
            raise NotFound("No such customer.")
        return {
            **snapshot(c), "name": c.full_name, "address": c.address,
            "vulnerabilities": [{"id": v.id, "kind": v.kind.value, "label": v.kind.label,
                                 "details": v.details} for v in c.vulnerabilities],
            "third_party_contacts": [snapshot(t) for t in c.third_party_contacts],
        }


def _get(uow: UnitOfWork, customer_id: int) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def add_third_party_contact(actor: Actor, customer_id: int, name: str, relationship: str,
                            uow: UnitOfWork, phone: str = "", email: str = "") -> int:
    require(actor, Permission.RECORD_INCIDENTS)
    with uow:
        customer = _get(uow, customer_id)
        contact = ThirdPartyContact(
            name=clean_line(name, "Third party's name", required=True),
            relationship_to_customer=clean_line(relationship, "Relationship", max_len=100),
            phone=clean_line(phone, "Phone", max_len=40), email=clean_line(email, "Email"))
        customer.third_party_contacts.append(contact)
        uow.audit(actor, "add_third_party_contact", contact, after=snapshot(contact))
        uow.commit()
        return contact.id
