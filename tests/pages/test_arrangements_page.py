"""The contact-arrangements page with AppTest (clause 4.2; issue 14 items 7 and 11): a viewer
finds a customer only by housing reference or full name plus postcode, and a hostile name,
SPOC terms or third-party name is shown inert (no Markdown link or image)."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.models import DisclosureLog
from core.services.customers import add_third_party_contact
from tests.pages.conftest import app_as
from tests.pages.test_letters_page import HOSTILE, inert, markdown_values
from tests.scenarios import a_customer, demo_actors

PAGE = "pages/arrangements.py"


def _search(at, query: str):
    at.text_input(key="arrangements_query").input(query)
    at.button(key="FormSubmitter:arrangements_search-Search").click().run()
    assert not at.exception
    return at


def _hostile_customer(app_db) -> int:
    leader = demo_actors(app_db)["teamleader"]
    customer = a_customer(app_db, leader, ref="NPH666601", first="Eve", last=HOSTILE)
    add_third_party_contact(leader, customer, HOSTILE, HOSTILE, UnitOfWork(app_db))
    return customer


def test_a_hostile_name_renders_inert_for_a_contractor(app_db):
    _hostile_customer(app_db)
    at = _search(app_as("contractor", PAGE), "NPH666601")
    at.button(key="arrangements_show").click().run()
    assert not at.exception
    shown = markdown_values(at)
    assert any(f"Eve {HOSTILE}" in v.replace("\\", "") for v in shown)  # the heading
    assert any(f"Contact via third party: {HOSTILE}" in v.replace("\\", "") for v in shown)
    assert all(inert(v) for v in shown), shown


def test_a_contractor_surname_search_is_refused_and_logs_nothing(app_db):
    _hostile_customer(app_db)
    at = _search(app_as("contractor", PAGE), "Eve")
    assert any("housing reference" in e.value for e in at.error)
    assert "Show arrangements" not in [b.label for b in at.button]
    with UnitOfWork(app_db) as u:
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 0


def test_a_contractor_finds_a_customer_by_full_name_and_postcode(app_db):
    a_customer(app_db, demo_actors(app_db)["teamleader"], ref="NPH666602")
    at = _search(app_as("contractor", PAGE), "Siân O'Brien-Nkemelu NN1 2AA")
    at.button(key="arrangements_show").click().run()
    assert not at.exception
    assert any("No special arrangements" in s.value for s in at.success)
    with UnitOfWork(app_db) as u:  # the search and the look-up are both logged
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 2
