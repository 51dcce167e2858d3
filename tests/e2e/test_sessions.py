"""Sessions in a real browser: a page address opened while signed out leads to its page after
signing in; a new tab (or a refresh) stays signed in through the cookie; after signing out it
does not."""
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.e2e.test_scenarios import settle, shot


def fill_login(page, username: str) -> None:
    settle(page)                                        # as a person would: the form has loaded
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

    second = browser_context.new_page()                 # a new tab: signed in by the cookie
    second.goto(f"{app['base']}/monitoring")
    expect(second.get_by_role("heading", name="Monitoring")).to_be_visible()
    second.reload()                                     # a refresh keeps the user signed in
    expect(second.get_by_role("link", name="Sign out")).to_be_visible()

    settle(second)
    second.get_by_role("link", name="Sign out").click()
    expect(second.get_by_role("button", name="Login")).to_be_visible()
    third = browser_context.new_page()
    third.goto(f"{app['base']}/monitoring")
    expect(third.get_by_role("button", name="Login")).to_be_visible()
    expect(third.get_by_role("link", name="Sign out")).to_have_count(0)
