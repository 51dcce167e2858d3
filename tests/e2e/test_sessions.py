"""Sessions in a real browser: a page address opened while signed out leads to its page after
signing in; a new tab (or a refresh) stays signed in through the cookie; after signing out it
does not."""

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.test_scenarios import settle, shot


def fill_login(page, username: str) -> None:
    settle(page)  # as a person would: the form has loaded
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Login").click()


def test_links_lead_to_their_page_and_sign_out_ends_the_cookie(app, browser_context):
    first = browser_context.new_page()
    first.goto(f"{app['base']}/compliance")
    expect(first.get_by_role("button", name="Login")).to_be_visible()
    expect(first.get_by_text("Page not found")).to_have_count(0)
    fill_login(first, "teamleader")
    expect(first.get_by_role("heading", name="Compliance")).to_be_visible()
    assert first.url.endswith("/compliance")
    shot(first, "20-deep-link-after-sign-in")

    second = browser_context.new_page()  # a new tab: signed in by the cookie
    second.goto(f"{app['base']}/monitoring")
    expect(second.get_by_role("heading", name="Monitoring")).to_be_visible()
    second.reload()  # a refresh keeps the user signed in
    expect(second.get_by_role("link", name="Sign out")).to_be_visible()

    settle(second)
    second.get_by_role("link", name="Sign out").click()
    expect(second.get_by_role("button", name="Login")).to_be_visible()
    third = browser_context.new_page()
    third.goto(f"{app['base']}/monitoring")
    expect(third.get_by_role("button", name="Login")).to_be_visible()
    expect(third.get_by_role("link", name="Sign out")).to_have_count(0)


# --- issue 14 / issue 18 item 7 ---------------------------------------------------------------

import time  # noqa: E402

E2E_PASSWORD = "a long end-to-end passphrase"


def a_team_leader(app, username: str) -> int:
    """A fresh account for a test that disables it (the demo accounts stay usable)."""
    from core.db import UnitOfWork, dispose_engines
    from core.services import users
    from tests.scenarios import demo_actors

    admin = demo_actors(app["url"])["admin"]
    user_id = users.add_user(
        admin, username, "Sam Testing", "team_leader", E2E_PASSWORD, UnitOfWork(app["url"]), service_area_id=1
    )
    dispose_engines()
    return user_id


def sign_in_as(page, app, username, password=PASSWORD) -> float:
    """Sign in through the form; the seconds from the click to the signed-in screen."""
    page.goto(app["base"])
    settle(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    began = time.perf_counter()
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    return time.perf_counter() - began


def test_signing_in_writes_the_cookie_at_once_so_a_new_tab_stays_signed_in(app, browser_context):
    """How long sign-in takes is measured in bench/pages.py (timings are benchmarks, not tests)."""
    page = browser_context.new_page()
    sign_in_as(page, app, "hsw")  # warm-up (first run of each page)
    settle(page)
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    sign_in_as(page, app, "hsw")
    settle(page)
    tab = browser_context.new_page()  # the cookie was written at once
    tab.goto(f"{app['base']}/pvp_register")
    expect(tab.get_by_role("link", name="Sign out")).to_be_visible()
    expect(tab.get_by_text("Page not found")).to_have_count(0)


def test_a_disabled_users_open_tab_is_signed_out_on_its_next_click(app, browser_context):
    from core.db import UnitOfWork, dispose_engines
    from core.services import users
    from tests.scenarios import demo_actors

    user_id = a_team_leader(app, "e2e.disabled")
    page = browser_context.new_page()
    sign_in_as(page, app, "e2e.disabled", E2E_PASSWORD)
    settle(page)
    users.set_user_active(
        demo_actors(app["url"])["admin"], user_id, False, "Left NPH", UnitOfWork(app["url"])
    )
    dispose_engines()
    page.get_by_role("link", name="Compliance").click()  # the next action in the open tab
    expect(page.get_by_text("account disabled")).to_be_visible()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_role("heading", name="Compliance")).to_have_count(0)
    shot(page, "21-disabled-user-signed-out")
    tab = browser_context.new_page()  # a new tab with the same cookie
    tab.goto(f"{app['base']}/compliance")
    expect(tab.get_by_role("button", name="Login")).to_be_visible()
    expect(tab.get_by_role("link", name="Sign out")).to_have_count(0)


def test_a_tampered_cookie_gives_the_sign_in_form(app, browser_context):
    from urllib.parse import urlparse

    host = urlparse(app["base"]).hostname
    forged = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsImdlbiI6MCwiZXhwIjo5OTk5OTk5OTk5fQ."
    browser_context.add_cookies(
        [{"name": "fair_treatment_auth", "value": forged, "domain": host, "path": "/"}]
    )
    page = browser_context.new_page()
    page.goto(f"{app['base']}/users")
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)


def test_each_roles_first_page_opens_at_its_own_address(app, browser_context):
    page = browser_context.new_page()
    sign_in_as(page, app, "teamleader")
    settle(page)
    page.goto(f"{app['base']}/customers")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    settle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_the_dataframe_toolbar_offers_no_csv_download(app, browser_context):
    page = browser_context.new_page()
    sign_in_as(page, app, "admin")
    settle(page)
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    settle(page)
    frame = page.locator('[data-testid="stDataFrame"]').first
    frame.hover()
    toolbar = page.locator('[data-testid="stElementToolbar"]').first
    expect(toolbar).to_be_visible()
    expect(toolbar.get_by_role("button")).not_to_have_count(0)  # the toolbar is there ...
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)  # ... without CSV
    shot(page, "22-dataframe-toolbar-without-csv")
