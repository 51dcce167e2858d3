"""Customer records: search, corrections with a reason (clause 6), vulnerabilities (2.3) and
third-party contact that can be stopped (4.1)."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Customer, CustomerVulnerability, ThirdPartyContact
from core.services.customers import (
    CustomerDetails,
    add_third_party_contact,
    get_customer,
    record_vulnerability,
    remove_vulnerability,
    search_customers,
    stop_third_party_contact,
    update_customer,
)
from tests.scenarios import NOW, a_customer, area_id


def count(uow, model, *where):
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model).where(*where))


def audit(uow, action):
    with uow() as u:
        entry = u.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
        ).first()
        return (
            None
            if entry is None
            else {
                "before": entry.before,
                "after": entry.after,
                "reason": entry.reason,
                "username": entry.username,
                "customer_id": entry.customer_id,
            }
        )


@pytest.fixture
def tl(actors):
    return actors["teamleader"]


@pytest.fixture
def customer(db_url, tl):
    return a_customer(db_url, tl, vulnerabilities={"language": "Polish first language; interpreter"})


def details_of(db_url, **changes) -> CustomerDetails:
    values: dict[str, Any] = dict(
        first_name="Siân",
        last_name="O'Brien-Nkemelu",
        housing_ref="NPH900001",
        address_line1="12 Abington Street",
        town="Northampton",
        postcode="NN1 2AA",
        service_area_id=area_id(db_url),
    )
    values.update(changes)
    return CustomerDetails(**values)


def test_search_by_name_reference_and_address_fragment(tl, customer, db_url, uow):
    a_customer(db_url, tl, ref="NPH900002", first="Łukasz", last="Kowalski")
    assert [c.housing_ref for c in search_customers(tl, "kowal", uow())] == ["NPH900002"]
    assert [c.housing_ref for c in search_customers(tl, "nph900002", uow())] == ["NPH900002"]
    assert sorted(c.housing_ref for c in search_customers(tl, "abington nn1", uow())) == [
        "NPH900001",
        "NPH900002",
    ]
    assert [c.housing_ref for c in search_customers(tl, "siân abington", uow())] == ["NPH900001"]


def test_a_customer_record_holds_contact_details_and_vulnerabilities(tl, customer, uow):
    record = get_customer(tl, customer, uow())
    assert record.name == "Siân O'Brien-Nkemelu"
    assert record.housing_ref == "NPH900001"
    assert record.preferred_contact == "phone"
    assert [(v.kind, v.details) for v in record.vulnerabilities] == [
        ("language", "Polish first language; interpreter")
    ]


def test_correcting_a_customer_needs_a_reason(tl, customer, db_url, uow):
    with pytest.raises(PolicyError, match="Reason for the correction is required"):
        update_customer(tl, customer, details_of(db_url, phone="01604 111222"), "  ", uow())
    assert get_customer(tl, customer, uow()).phone == ""


def test_a_correction_keeps_the_earlier_values_and_marks_the_record_amended(tl, customer, db_url, uow):
    update_customer(
        tl,
        customer,
        details_of(db_url, address_line1="14 Abington Street", preferred_contact="email"),
        "Customer told us the house number was wrong",
        uow(),
        now=NOW,
    )
    record = get_customer(tl, customer, uow())
    assert record.address_line1 == "14 Abington Street" and record.preferred_contact == "email"
    assert record.amended_by == "Priya Shah" and record.amended_at.date() == dt.date(2026, 11, 20)
    entry = audit(uow, "amend_customer")
    assert entry["before"]["address_line1"] == "12 Abington Street"
    assert entry["before"]["preferred_contact"] == "phone"
    assert entry["after"]["address_line1"] == "14 Abington Street"
    assert entry["reason"] == "Customer told us the house number was wrong"
    assert entry["customer_id"] == customer
    # the search follows the correction
    assert [c.id for c in search_customers(tl, "14 abington", uow())] == [customer]


def test_a_correction_cannot_take_another_customers_reference(tl, customer, db_url, uow):
    a_customer(db_url, tl, ref="NPH900002", first="Zoë", last="Jones")
    with pytest.raises(PolicyError, match="already exists"):
        update_customer(tl, customer, details_of(db_url, housing_ref="nph900002"), "typo", uow())
    with pytest.raises(PolicyError, match="Nothing was changed"):
        update_customer(tl, customer, details_of(db_url), "no change", uow())
    assert count(uow, AuditEntry, AuditEntry.action == "amend_customer") == 0


def test_vulnerabilities_are_recorded_and_removed_with_a_reason(tl, customer, uow):
    vid = record_vulnerability(tl, customer, "mental_health", "Anxiety, told us on 3 March", uow())
    kinds = [v.kind for v in get_customer(tl, customer, uow()).vulnerabilities]
    assert sorted(kinds) == ["language", "mental_health"]
    with pytest.raises(PolicyError, match="is not one of the allowed choices"):
        record_vulnerability(tl, customer, "gossip", "", uow())
    with pytest.raises(PolicyError, match="Reason for removing it is required"):
        remove_vulnerability(tl, vid, "", uow())
    remove_vulnerability(tl, vid, "Recorded against the wrong customer", uow())
    assert count(uow, CustomerVulnerability) == 1
    entry = audit(uow, "remove_vulnerability")
    assert entry["before"]["kind"] == "mental_health"
    assert entry["reason"] == "Recorded against the wrong customer"


def test_third_party_contact_can_be_stopped_with_a_reason(tl, customer, uow):
    contact_id = add_third_party_contact(tl, customer, "Anna Nowak", "Daughter", uow(), phone="07700 900123")
    assert get_customer(tl, customer, uow()).third_party_contacts[0].active is True
    with pytest.raises(PolicyError, match="Reason for stopping the arrangement is required"):
        stop_third_party_contact(tl, contact_id, "", uow())
    stop_third_party_contact(
        tl, contact_id, "Daughter shouted at the officer on 2 November", uow(), today=dt.date(2026, 11, 20)
    )
    contact = get_customer(tl, customer, uow()).third_party_contacts[0]
    assert contact.active is False and contact.stopped_on == dt.date(2026, 11, 20)
    assert contact.stopped_reason == "Daughter shouted at the officer on 2 November"
    assert audit(uow, "stop_third_party_contact")["before"] == {
        "active": True,
        "stopped_on": None,
        "stopped_reason": "",
    }
    with pytest.raises(PolicyError, match="already been stopped"):
        stop_third_party_contact(tl, contact_id, "again", uow())


@pytest.mark.parametrize("role", ["contractor", "dmo", "ad.housing"])
def test_only_recorders_may_change_customer_records(actors, customer, db_url, uow, role):
    with pytest.raises(PermissionDenied):
        update_customer(actors[role], customer, details_of(db_url, phone="1"), "x", uow())
    with pytest.raises(PermissionDenied):
        record_vulnerability(actors[role], customer, "disability", "", uow())
    with pytest.raises(PermissionDenied):
        add_third_party_contact(actors[role], customer, "A", "B", uow())
    assert count(uow, ThirdPartyContact) == 0
    with uow() as u:
        assert u.session.get(Customer, customer).amended_at is None


# --- lost updates (issue 14 item 8) ---------------------------------------------------------------


def test_a_correction_over_someone_elses_newer_one_is_refused(actors, tl, customer, uow):
    other = actors["teamleader2"]
    seen_by_first = get_customer(tl, customer, uow()).version
    seen_by_second = get_customer(other, customer, uow()).version
    first = CustomerDetails(
        first_name="Siân",
        last_name="O'Brien-Nkemelu",
        housing_ref="NPH900001",
        address_line1="12 Abington Street",
        town="Northampton",
        postcode="NN1 2AA",
        phone="01604 000111",
    )
    update_customer(tl, customer, first, "New phone number", uow(), now=NOW, expected_version=seen_by_first)
    second = CustomerDetails(
        first_name="Siân",
        last_name="O'Brien-Nkemelu",
        housing_ref="NPH900001",
        address_line1="14 Abington Street",
        town="Northampton",
        postcode="NN1 2AA",
    )
    with pytest.raises(PolicyError, match="This customer changed since you opened it"):
        update_customer(
            other, customer, second, "House number was wrong", uow(), now=NOW, expected_version=seen_by_second
        )
    record = get_customer(tl, customer, uow())
    assert (record.phone, record.address_line1) == ("01604 000111", "12 Abington Street")
    assert record.version > seen_by_first
    assert count(uow, AuditEntry, AuditEntry.action == "amend_customer") == 1
