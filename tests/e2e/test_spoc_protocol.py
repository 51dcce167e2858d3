"""Issue 13 item 1 in a real browser: a SPOC exists only through the SPOC protocol (clause 5). A
team leader's request is recorded as the formal-stage decision; the contractor looking the customer
up sees no single point of contact until the DMO approves it at the review meeting and it is on the
central register, and then sees it without the reasons (clause 4.2)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_scenarios import open_page, settle, shot, sign_in, sign_out

REF = "NPH900001"  # the housing reference case_scenarios.a_case gives the customer


def _look_up(page, app: dict) -> str:
    open_page(page, "Contact arrangements")
    page.get_by_label("Name, housing reference or address", exact=True).fill(REF)
    page.get_by_role("button", name="Search").click()
    settle(page)
    page.get_by_role("button", name="Show arrangements").click()
    expect(
        page.get_by_text(re.compile("No special arrangements|Single point of contact")).first
    ).to_be_visible()
    settle(page)
    return page.locator("[data-testid='stMain']").first.inner_text()


def test_the_contractor_sees_no_spoc_until_the_dmo_approves_it(app, browser_context):
    from core.db import UnitOfWork, dispose_engines
    from tests.scenarios import demo_actors
    from tests.services.test_policy_protocols_spoc import a_spoc_requested_as_the_formal_decision, dmo_decides

    actors = demo_actors(app["url"])
    _case_id, request_id = a_spoc_requested_as_the_formal_decision(
        app["url"], actors, lambda: UnitOfWork(app["url"])
    )
    dispose_engines()

    contractor = browser_context.new_page()
    sign_in(contractor, app, "contractor")
    before = _look_up(contractor, app)
    assert "Single point of contact" not in before
    shot(contractor, "16-contractor-no-spoc-before-approval")

    dmo_decides(actors, lambda: UnitOfWork(app["url"]), request_id)
    dispose_engines()
    contractor.reload()
    settle(contractor)
    after = _look_up(contractor, app)
    assert "Single point of contact" in after
    expect(contractor.get_by_text("Tuesdays 10:00-12:00").first).to_be_visible()
    for secret in (
        "Contact with five teams a day",
        "Reviewed the contact log",
        "continued after the warning",
    ):
        assert secret not in after
    shot(contractor, "17-contractor-sees-approved-spoc")
    sign_out(contractor)
