"""End-to-end scenarios in a real browser (issue 9): what each role does, as they would do it.

1. Team leader: signs in, finds a customer, logs an incident, records the informal stage, logs a
   further incident, issues a warning, drafts and downloads the Fair Treatment Letter (.docx
   opened and checked), signs out.
2. DMO: approves a SPOC request.
3. Contractor (viewer): sees the customer's contact arrangement, never the reasons.
4. Manager: the monitoring page counts an incident logged a moment ago by a team leader.
"""

from __future__ import annotations

import datetime as dt
import re

import docx
import pytest
from playwright.sync_api import Page, expect

from core.letters import british_date
from core.policy.deadlines import add_months, appeal_deadline
from tests.e2e.conftest import ARTEFACTS, PASSWORD, WAIT_MS, wait_until_idle

TODAY = dt.date.today()
expect.set_options(timeout=WAIT_MS)


# ------------------------------------------------------------------ helpers


def settle(page: Page) -> None:
    """Wait for the app's own finished state (tests/e2e/conftest.py: wait_until_idle)."""
    wait_until_idle(page)


def shot(page: Page, name: str) -> None:
    settle(page)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, app: dict, username: str) -> None:
    page.goto(app["base"])
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    settle(page)


def sign_out(page: Page) -> None:
    settle(page)
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    settle(page)
    # Signed out on the server too: a page's address now leads to the login form only.
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/monitoring")
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    settle(page)
    assert page.get_by_test_id("stMetric").count() == 0


def open_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title).first).to_be_visible()
    settle(page)


def choose(page: Page, label: str, option, scope=None) -> None:
    """Pick `option` (text or pattern) in the Streamlit selectbox or multiselect labelled `label`."""
    scope = scope or page
    multi = scope.get_by_test_id("stMultiSelect").filter(has=page.get_by_text(label, exact=True))
    if multi.count():
        # Type to filter, then Enter picks the highlighted option (no hunting in a list that
        # re-renders while the app is busy).
        scope.get_by_role("combobox", name=label, exact=True).first.click()
        page.keyboard.type(option, delay=20)
        page.get_by_role("option", name=option).first.wait_for()
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        expect(scope.get_by_test_id("stMultiSelect").get_by_text(option, exact=True).first).to_be_visible()
        settle(page)
        return
    combo = scope.get_by_role("combobox", name=label, exact=True).first
    current = combo.input_value()
    if (option == current) if isinstance(option, str) else bool(option.search(current)):
        return  # already chosen
    combo.click()
    combo.press("ArrowDown")  # opens the list
    page.get_by_role("option", name=option).first.click()
    settle(page)


def tick(scope, label: str) -> None:
    scope.get_by_text(label, exact=True).click()


def type_date(page: Page, label: str, day: dt.date, scope=None) -> None:
    """Type a date into a Streamlit date field (day, month and year segments)."""
    field = (scope or page).get_by_label(label, exact=True).first
    field.get_by_role("spinbutton").first.click()
    page.keyboard.type(day.strftime("%d%m%Y"), delay=30)
    page.keyboard.press("Tab")


def log_incident(page: Page, description: str) -> None:
    open_page(page, "Log an incident")
    choose(page, "Behaviour category", "Aggressive or abusive behaviour or harassment")
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Save incident"))
    choose(page, "Behaviours", "Threatening, intimidating or abusive language or behaviour", scope=form)
    type_date(page, "Date of the incident", TODAY, scope=form)
    form.get_by_label("What happened (factual description)", exact=True).fill(description)
    form.get_by_role("button", name="Save incident").click()
    expect(page.get_by_text(re.compile(r"Incident #\d+ saved\."))).to_be_visible()
    settle(page)


def metric(page: Page, label: str) -> int:
    tile = page.get_by_test_id("stMetric").filter(has_text=label).first
    return int(tile.get_by_test_id("stMetricValue").inner_text().strip())


# ------------------------------------------------------------------ scenarios


def test_team_leader_escalates_to_a_warning_and_downloads_the_letter(app, browser_context, tmp_path):
    page = browser_context.new_page()
    sign_in(page, app, "teamleader")
    shot(page, "01-team-leader-signed-in")

    # Find the customer.
    open_page(page, "Customers")
    page.get_by_label("Find a customer: name, housing reference or part of the address", exact=True).fill(
        "Testwood"
    )
    page.keyboard.press("Enter")
    expect(page.get_by_text("Eleanor Testwood").first).to_be_visible()
    shot(page, "02-customer-found")

    # Log an incident; record the informal stage.
    log_incident(page, 'The customer said "I will make your life hell" to the call handler twice.')
    shot(page, "03-incident-logged")
    open_page(page, "Case actions")
    expect(page.get_by_text("Testwood").first).to_be_visible()
    choose(page, "Action", "Record the informal stage")
    form = page.get_by_test_id("stForm")
    for step in (
        "Contact the customer to try to agree an informal solution",
        "Set out clearly the behaviour found unacceptable",
        "Say how the customer is expected to change their behaviour",
        "Say what action will follow if the behaviour does not change",
        "Look for a root cause in an NPH service (something not done, or done badly)",
        "Offer contact via a third party (family member or friend) or mediation",
    ):
        tick(form, step)
    form.get_by_label("Summary of the conversation and what was agreed", exact=True).fill(
        "Phoned the customer: set out the behaviour, the change expected and the consequences."
    )
    form.get_by_role("button", name="Record the informal stage").click()
    expect(page.get_by_text("Informal stage recorded.")).to_be_visible()
    shot(page, "04-informal-stage")

    # A further incident; then the warning.
    log_incident(page, 'The customer called again and said "you lot are useless" and hung up.')
    open_page(page, "Case actions")
    choose(page, "Action", "Issue a warning (Fair Treatment Letter)")
    form = page.get_by_test_id("stForm")
    form.get_by_label("Why a warning: the further behaviour", exact=True).fill(
        "Further abusive call after the informal stage was explained."
    )
    type_date(page, "Review date (set out in the Fair Treatment Letter)", add_months(TODAY, 3), scope=form)
    tick(form, "Underlying issues and reasonable adjustments (Equality Act 2010) were considered")
    form.get_by_label("Underlying issues considered", exact=True).fill(
        "No recorded vulnerability; asked about support."
    )
    form.get_by_label("Reasonable adjustments this warning keeps", exact=True).fill(
        "Large-print letters on request."
    )
    form.get_by_role("button", name="Issue the warning").click()
    expect(page.get_by_text("Warning recorded.")).to_be_visible()
    shot(page, "05-warning-issued")

    # Draft and download the warning letter.
    open_page(page, "Letters")
    page.get_by_label("Find a case: customer name or housing reference", exact=True).fill("Testwood")
    page.keyboard.press("Enter")
    settle(page)
    choose(page, "Letter", re.compile("^Warning stage"))
    expect(page.get_by_role("button", name="Download .docx")).to_be_visible()
    shot(page, "06-warning-letter")
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download .docx").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.suffix == ".docx"
    document = docx.Document(str(saved))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert "Testwood" in text
    assert british_date(appeal_deadline(TODAY)) in text

    sign_out(page)
    shot(page, "07-signed-out")


def test_dmo_approves_a_spoc(app, browser_context):
    page = browser_context.new_page()
    sign_in(page, app, "dmo")
    open_page(page, "SPOC register")
    expect(page.get_by_text("SPOC requests waiting for a decision")).to_be_visible()
    choose(page, "Request", re.compile(f"^Request {app['spoc_request']}: Marek Seedwell"))
    form = page.get_by_test_id("stForm").filter(has_text="SPOC review meeting")
    form.get_by_label("Attendees (all relevant parties)", exact=True).fill(
        "DMO, team leader, customer services lead"
    )
    form.get_by_label("Discussion", exact=True).fill("Contact pattern reviewed against the incidents.")
    form.get_by_label("Reason for the decision", exact=True).fill(
        "Contact with six teams is disrupting services."
    )
    choose(page, "Channels the customer may use", "Email", scope=form)
    form.get_by_label("Contact times", exact=True).fill("Monday to Friday 10:00-12:00")
    form.get_by_label("Contact limit (e.g. two contacts a week)", exact=True).fill("Two contacts a week")
    shot(page, "08-dmo-spoc-decision")
    form.get_by_role("button", name="Record the meeting and decision").click()
    expect(page.get_by_text("SPOC approved and added to the register.")).to_be_visible()
    shot(page, "09-dmo-spoc-approved")
    sign_out(page)


def test_contractor_sees_the_arrangement_without_reasons(app, browser_context):
    page = browser_context.new_page()
    sign_in(page, app, "contractor")
    open_page(page, "Contact arrangements")
    page.get_by_label("Name, housing reference or address", exact=True).fill("NPH777002")
    page.get_by_role("button", name="Search").click()
    settle(page)
    page.get_by_role("button", name="Show arrangements").click()
    expect(page.get_by_text("Marek Seedwell").first).to_be_visible()
    settle(page)
    shot(page, "10-contractor-arrangements")
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    if "Single point of contact" not in body:
        pytest.fail("The SPOC approved by the DMO is not shown to the contractor: " + body[:1500])
    for secret in (
        app["spoc_reason"],
        "Contact with six teams is disrupting services",
        "Contact pattern reviewed",
        "make your life hell",
        "Abuse continued",
    ):
        assert secret not in body
    sign_out(page)


def test_manager_sees_a_new_incident_on_the_monitoring_page(app, browser_context, chromium):
    manager = browser_context.new_page()
    sign_in(manager, app, "ad.housing")
    open_page(manager, "Monitoring")
    before = metric(manager, "Incidents in the period")
    shot(manager, "11-monitoring-before")

    other = chromium.new_context(viewport={"width": 1400, "height": 1000})
    leader = other.new_page()
    sign_in(leader, app, "teamleader")
    open_page(leader, "Customers")
    leader.get_by_label("Find a customer: name, housing reference or part of the address", exact=True).fill(
        "NPH777002"
    )
    leader.keyboard.press("Enter")
    expect(leader.get_by_text("Marek Seedwell").first).to_be_visible()
    log_incident(leader, 'The customer told the repairs operative "get out of my house".')
    other.close()

    open_page(manager, "Customers")
    open_page(manager, "Monitoring")
    expect(
        manager.get_by_test_id("stMetric")
        .filter(has_text="Incidents in the period")
        .get_by_test_id("stMetricValue")
    ).to_have_text(str(before + 1))
    shot(manager, "12-monitoring-after")


def test_hostile_text_stays_inert_in_the_browser(app, browser_context):
    """A customer whose name and incident text carry HTML, script and javascript: links: the
    browser shows the characters and runs nothing."""
    page = browser_context.new_page()
    sign_in(page, app, "teamleader")
    open_page(page, "Customers")
    page.get_by_label("Find a customer: name, housing reference or part of the address", exact=True).fill(
        "NPH777003"
    )
    page.keyboard.press("Enter")
    settle(page)
    open_page(page, "Case timeline")
    expect(page.get_by_text("window.__pwned=1", exact=False).first).to_be_visible()
    page.mouse.move(700, 500)
    for link in page.locator("a[href^='javascript:']").all():
        pytest.fail(f"a javascript: link was rendered: {link.get_attribute('href')}")
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("window.__pwned") is None
    shot(page, "13-hostile-text-inert")
    open_page(page, "Case actions")
    expect(page.get_by_text("NPH777003").first).to_be_visible()
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.evaluate("window.__pwned") is None
    sign_out(page)
