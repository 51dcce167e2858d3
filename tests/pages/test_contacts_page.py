"""The contacts-and-notes page with AppTest (issue 16): log a call, attach a file, see both."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from core.db import UnitOfWork
from core.models import AccessLog, Attachment, ContactLog
from core.services import households
from tests.pages.conftest import app_as
from tests.scenarios import a_customer, demo_actors

PAGE = "pages/contacts.py"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3), "blue").save(out, "PNG")
    return out.getvalue()


def _open_on_customer(app_db):
    leader = demo_actors(app_db)["teamleader"]
    customer_id = a_customer(app_db, leader, ref="NPH555001", first="Cara", last="Contactson")
    at = app_as("teamleader", PAGE)
    at.text_input(key="contacts_search").input("NPH555001").run()
    assert not at.exception
    return at, customer_id


def test_logging_a_call_and_attaching_a_file(app_db):
    at, customer_id = _open_on_customer(app_db)
    at.selectbox(key="contact_channel").set_value("phone")
    at.selectbox(key="contact_direction").set_value("in")
    at.number_input(key="contact_duration").set_value(7)
    at.text_area(key="contact_summary").input("The customer asked when the boiler will be repaired.")
    at.button(key="FormSubmitter:log_contact-Save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with UnitOfWork(app_db) as uow:
        entry = uow.session.scalars(select(ContactLog).where(ContactLog.customer_id == customer_id)).one()
        assert (entry.channel.value, entry.direction.value, entry.duration_minutes) == ("phone", "in", 7)
        entry_id = entry.id
    assert any(
        "summary" in df.value.columns and df.value["summary"].str.contains("boiler").any()
        for df in at.dataframe
    )

    at.selectbox(key="attach_subject").set_value(f"contact_log:{entry_id}")
    at.file_uploader(key="attach_upload").set_value(("boiler.png", _png(), "image/png"))
    at.button(key="FormSubmitter:attach_file-Attach").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with UnitOfWork(app_db) as uow:
        stored = uow.session.scalars(select(Attachment).where(Attachment.customer_id == customer_id)).one()
        assert (stored.filename, stored.subject_id, stored.media_type) == (
            "boiler.png",
            entry_id,
            "image/png",
        )
        stored_id = stored.id
    at.button(key="attach_open").click().run()
    assert not at.exception and not at.error
    with UnitOfWork(app_db) as uow:  # opening the file is recorded in the access log
        assert uow.session.scalars(
            select(AccessLog.what).where(AccessLog.customer_id == customer_id)
        ).all() == [f"attachment {stored_id}"]


def test_a_file_that_lies_about_its_type_is_refused_on_the_page(app_db):
    at, _ = _open_on_customer(app_db)
    at.text_area(key="contact_summary").input("Letter received about the rent account.")
    at.selectbox(key="contact_channel").set_value("letter")
    at.button(key="FormSubmitter:log_contact-Save").click().run()
    at.file_uploader(key="attach_upload").set_value(("statement.pdf", _png(), "application/pdf"))
    at.button(key="FormSubmitter:attach_file-Attach").click().run()
    assert any("not a .pdf file" in e.value for e in at.error)


def test_the_visit_planning_page_shows_the_address(app_db):
    leader = demo_actors(app_db)["teamleader"]
    customer_id = a_customer(app_db, leader, ref="NPH555002")
    households.add_to_household(
        leader, customer_id, "PROP-7", UnitOfWork(app_db), address_line1="7 Abington Square"
    )
    at = app_as("contractor", "pages/visit_planning.py")
    at.text_input(key="visit_ref").input("PROP-7")
    at.button(key="FormSubmitter:visit_search-Show").click().run()
    assert not at.exception
    assert any("Nothing is recorded" in s.value for s in at.success)


def test_the_customer_page_shows_the_household_and_needs(app_db):
    leader = demo_actors(app_db)["teamleader"]
    first = a_customer(app_db, leader, ref="NPH555003", first="Dee", last="Householder")
    second = a_customer(app_db, leader, ref="NPH555004", first="Ed", last="Householder")
    for customer_id in (first, second):
        households.add_to_household(leader, customer_id, "PROP-8", UnitOfWork(app_db), role="joint_tenant")
    at = app_as("teamleader", "pages/customers.py")
    at.text_input(key="cust_search").input("NPH555003").run()
    assert not at.exception
    [members] = [df.value for df in at.dataframe if "Housing ref" in df.value.columns]
    assert set(members["Housing ref"]) == {"NPH555003", "NPH555004"}
    at.selectbox(key="needs_format").set_value("large_print")
    at.text_input(key="needs_language").input("Polish")
    at.button(key="FormSubmitter:needs_form-Save needs").click().run()
    assert not at.exception and not at.error
    assert any("interpreter: Polish" in c.value.replace("\\", "") for c in at.caption)


def test_a_restriction_review_shows_the_contacts_outside_it(app_db):
    import datetime as dt

    from core.models import FormalAction
    from core.services import contacts
    from tests.services.case_scenarios import a_case_at_formal_stage

    actors = demo_actors(app_db)
    case_id = a_case_at_formal_stage(app_db, actors)
    with UnitOfWork(app_db) as uow:
        action = uow.session.scalars(select(FormalAction).where(FormalAction.case_id == case_id)).one()
        action_id, customer_id = action.id, action.case.customer_id
    contacts.set_contact_rule(
        actors["teamleader"], action_id, UnitOfWork(app_db), channels=["phone"], max_contacts=1
    )
    monday = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)
    for hours in (0, 2):
        contacts.log_contact(
            actors["teamleader"],
            contacts.NewContact(
                customer_id, monday + dt.timedelta(hours=hours), "phone", "in", "Asked about the repair."
            ),
            UnitOfWork(app_db),
        )
    at = app_as("teamleader")
    at.session_state["customer_id"] = customer_id
    at.switch_page("pages/case_actions.py").run()
    assert not at.exception
    at.selectbox(key="case_action_choice").set_value("review").run()
    assert not at.exception
    assert any("Contacts outside this restriction (1)" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]
