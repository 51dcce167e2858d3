"""Issue 13 item 5 in a real browser: a team leader logs a violent incident, and a contractor
looking the customer up a moment later sees the interim in-person arrangement (clause 4.1),
without the reasons (clause 4.2)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.e2e.test_scenarios import choose, open_page, settle, shot, sign_in, sign_out, type_date

THREAT = 'The customer told the surveyor "come back and I will put you through the window".'
ARRANGEMENT = "No lone visits: attend in pairs"


def _a_customer(app: dict) -> None:
    from core.db import dispose_engines
    from tests.scenarios import a_customer, demo_actors

    a_customer(
        app["url"], demo_actors(app["url"])["teamleader"], ref="NPH777010", first="Ronan", last="Interimson"
    )
    dispose_engines()


def test_the_contractor_sees_the_interim_arrangement_straight_after_a_violent_incident(app, browser_context):
    _a_customer(app)
    leader = browser_context.new_page()
    sign_in(leader, app, "teamleader")
    open_page(leader, "Customers")
    leader.get_by_label("Find a customer: name, housing reference or part of the address", exact=True).fill(
        "NPH777010"
    )
    leader.keyboard.press("Enter")
    expect(leader.get_by_text("Ronan Interimson").first).to_be_visible()

    open_page(leader, "Log an incident")
    choose(leader, "Behaviour category", "Aggressive or abusive behaviour or harassment")
    form = leader.get_by_test_id("stForm").filter(has=leader.get_by_role("button", name="Save incident"))
    choose(leader, "Behaviours", "Threatening, intimidating or abusive language or behaviour", scope=form)
    type_date(leader, "Date of the incident", dt.date.today(), scope=form)
    form.get_by_label("What happened (factual description)", exact=True).fill(THREAT)
    form.get_by_text("Actual violence or a threat of violence was involved", exact=True).click()
    form.get_by_label("Police reference number", exact=True).fill("NP-26-4411")
    choose(leader, "Interim in-person arrangement (if violence or a threat)", ARRANGEMENT, scope=form)
    form.get_by_role("button", name="Save incident").click()
    expect(leader.get_by_text(re.compile(r"Incident #\d+ saved\."))).to_be_visible()
    expect(leader.get_by_text(re.compile("Interim in-person arrangement now in force"))).to_be_visible()
    shot(leader, "14-violent-incident-saved")
    sign_out(leader)

    contractor = browser_context.new_page()
    sign_in(contractor, app, "contractor")
    open_page(contractor, "Contact arrangements")
    contractor.get_by_label("Name, housing reference or address", exact=True).fill("NPH777010")
    contractor.get_by_role("button", name="Search").click()
    settle(contractor)
    contractor.get_by_role("button", name="Show arrangements").click()
    expect(contractor.get_by_text("Ronan Interimson").first).to_be_visible()
    expect(contractor.get_by_text(f"Interim in-person arrangement: {ARRANGEMENT}")).to_be_visible()
    shot(contractor, "15-contractor-sees-interim-arrangement")
    body = contractor.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert "No special arrangements are in force" not in body
    for secret in ("put you through the window", "NP-26-4411", "surveyor", "Aggressive", "Threatening"):
        assert secret not in body
    sign_out(contractor)
