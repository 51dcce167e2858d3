"""The Customers page (issue 3): search, create, the record, corrections with a reason, the
flag alert first, and who may change what."""

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.models import AuditEntry, Customer, PvpEntry, ThirdPartyContact
from tests.pages.conftest import app_as
from tests.scenarios import a_customer, area_id, demo_actors


def count(url, model, *where):
    with UnitOfWork(url) as u:
        return u.session.scalar(select(func.count()).select_from(model).where(*where))


def open_customer(query):
    at = app_as("teamleader", "pages/customers.py")
    at.text_input(key="cust_search").input(query).run()
    assert not at.exception
    return at


def test_search_finds_by_address_fragment_and_opens_the_record(app_db):
    tl = demo_actors(app_db)["teamleader"]
    a_customer(app_db, tl)
    a_customer(app_db, tl, ref="NPH900002", first="Łukasz", last="Kowalski")
    at = open_customer("kowalski")
    assert at.selectbox(key="cust_choice").options == [
        "Łukasz Kowalski (NPH900002) 12 Abington Street, Northampton, NN1 2AA"
    ]
    assert [s.value for s in at.subheader] == ["Łukasz Kowalski (NPH900002)"]
    at = open_customer("nobody like this")
    assert any("No customer matches" in i.value for i in at.info)


def test_create_a_customer_with_a_vulnerability(app_db):
    at = app_as("teamleader", "pages/customers.py")
    at.text_input(key="new_first").input("Zoë")
    at.text_input(key="new_last").input("Mensah")
    at.text_input(key="new_ref").input("nph777001")
    at.selectbox(key="new_area").set_value(area_id(app_db))
    at.text_input(key="new_line1").input("3 Semilong Road")
    at.multiselect(key="new_vulnerabilities").set_value(["language"])
    at.text_input(key="new_vuln_notes").input("Twi interpreter")
    at.button(key="new_submit").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Customer created."]
    with UnitOfWork(app_db) as u:
        customer = u.session.scalar(select(Customer))
        assert customer.housing_ref == "NPH777001"
        assert [(v.kind.value, v.details) for v in customer.vulnerabilities] == [
            ("language", "Twi interpreter")
        ]
    assert any("Mensah" in s.value for s in at.subheader)


def test_create_without_a_name_shows_the_error_and_saves_nothing(app_db):
    at = app_as("teamleader", "pages/customers.py")
    at.text_input(key="new_ref").input("NPH777002")
    at.button(key="new_submit").click().run()
    assert [e.value for e in at.error] == ["First name is required."]
    assert count(app_db, Customer) == 0


def test_correcting_details_needs_a_reason(app_db):
    customer_id = a_customer(app_db, demo_actors(app_db)["teamleader"])
    at = open_customer("NPH900001")
    at.text_input(key=f"fix{customer_id}_phone").input("01604 123456")
    at.button(key="fix_customer_submit").click().run()
    assert [e.value for e in at.error] == ["Reason for the correction is required."]
    at.text_area(key="fix_customer_reason").input("Customer gave a new number")
    at.button(key="fix_customer_submit").click().run()
    assert not at.error
    assert any(c.value.startswith("Record amended on") for c in at.caption)
    assert count(app_db, AuditEntry, AuditEntry.action == "amend_customer") == 1


def test_stopping_a_third_party_contact_needs_a_reason(app_db):
    tl = demo_actors(app_db)["teamleader"]
    a_customer(app_db, tl)
    at = open_customer("NPH900001")
    at.text_input(key="tp_name").input("Anna Nowak")
    at.text_input(key="tp_relationship").input("Daughter")
    at.button(key="tp_submit").click().run()
    assert count(app_db, ThirdPartyContact) == 1
    at.button(key="tp_stop_submit").click().run()
    assert "Reason for stopping the arrangement is required." in [e.value for e in at.error]
    at.text_area(key="tp_stop_reason").input("Daughter swore at the officer on 2 November")
    at.button(key="tp_stop_submit").click().run()
    assert count(app_db, ThirdPartyContact, ThirdPartyContact.active.is_(False)) == 1
    [contacts] = [d.value for d in at.dataframe if "Relationship" in d.value.columns]
    status = contacts["Status"].iloc[0]
    assert status.startswith("Stopped") and "swore at the officer" in status


def test_the_flag_alert_shows_first_on_a_flagged_customer(app_db):
    actors = demo_actors(app_db)
    customer_id = a_customer(app_db, actors["teamleader"])
    with UnitOfWork(app_db) as u:
        u.session.add(
            PvpEntry(
                customer_id=customer_id,
                proposed_by_id=actors["teamleader"].user_id,
                reasons="Threat",
                status=RegisterStatus.ACTIVE,
                two_officers_on_visits=True,
            )
        )
        u.commit()
    at = open_customer("NPH900001")
    assert at.error and "Red flag" in at.error[0].value
    # the alert comes before the record itself
    order = [getattr(node, "type", "") for node in walk(at.main)]
    assert "error" in order and "subheader" in order
    assert order.index("error") < order.index("subheader")


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def test_a_dmo_can_read_the_record_but_not_change_it(app_db):
    a_customer(app_db, demo_actors(app_db)["teamleader"])
    at = app_as("dmo", "pages/customers.py")
    at.text_input(key="cust_search").input("NPH900001").run()
    assert not at.exception
    assert any("O'Brien" in s.value for s in at.subheader)
    keys = {b.key for b in at.button}
    assert "fix_customer_submit" not in keys and "new_submit" not in keys


def test_a_customer_id_too_big_for_the_database_says_no_such_customer(app_db):
    """Issue 14 item 12: `?customer_id=99999999999999999999` showed a crash on every customer page
    for the rest of the session; now it says 'No such customer.' and the session keeps working."""
    tl = demo_actors(app_db)["teamleader"]
    a_customer(app_db, tl)
    at = app_as("teamleader")
    for page in ("pages/customers.py", "pages/incident.py", "pages/timeline.py"):
        at.query_params["customer_id"] = "99999999999999999999"
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert [e.value for e in at.error] == ["No such customer."], page
    at.query_params.clear()
    at.switch_page("pages/customers.py")
    at.run()
    at.text_input(key="cust_search").input("NPH900001").run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Siân O'Brien\\-Nkemelu (NPH900001)"]


def test_two_people_correcting_one_customer_the_second_is_refused(app_db):
    """Issue 14 item 8: the second save over the first's newer correction is refused and the
    first's change survives."""
    from core.services.customers import CustomerDetails, get_customer, update_customer

    actors = demo_actors(app_db)
    customer_id = a_customer(app_db, actors["teamleader"])
    at = open_customer("NPH900001")  # the form is open at version 1
    other = CustomerDetails(
        first_name="Siân",
        last_name="O'Brien-Nkemelu",
        housing_ref="NPH900001",
        address_line1="12 Abington Street",
        town="Northampton",
        postcode="NN1 2AA",
        phone="01604 000111",
        service_area_id=area_id(app_db),
    )
    update_customer(actors["teamleader2"], customer_id, other, "New phone", UnitOfWork(app_db))
    at.text_input(key=f"fix{customer_id}_line1").input("14 Abington Street")
    at.text_area(key="fix_customer_reason").input("House number was wrong")
    at.button(key="fix_customer_submit").click().run()
    assert any("changed since you opened it" in e.value for e in at.error)
    record = get_customer(actors["teamleader"], customer_id, UnitOfWork(app_db))
    assert (record.phone, record.address_line1) == ("01604 000111", "12 Abington Street")
