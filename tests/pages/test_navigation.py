"""Sign-in and role-based navigation (issue 2): each role sees exactly its pages."""

import pytest

from core.db import UnitOfWork
from core.errors import PermissionDenied
from core.services import users
from tests.pages.conftest import app_as, new_app
from tests.scenarios import demo_actors
from ui.navigation import pages_for

EXPECTED = {
    # Issue 13: whoever receives an appeal directly logs it on the Appeals page.
    "teamleader": {
        "My work",
        "Case owner",
        "Customers",
        "Log an incident",
        "Case timeline",
        "Case actions",
        "Compliance",
        "Appeals",
        "Letters",
        "SPOC register",
        "PVP register",
        "Contact arrangements",
        "Monitoring",
    },
    "dmo": {
        "My work",
        "SPOC officer",
        "Customers",
        "Case timeline",
        "Appeals",
        "Letters",
        "SPOC register",
        "PVP register",
        "Contact arrangements",
        "Data requests",
        "Audit log",
    },
    "hsw": {
        "My work",
        "Customers",
        "Case timeline",
        "Letters",
        "SPOC register",
        "PVP register",
        "Contact arrangements",
    },
    "ad.housing": {
        "My work",
        "Case owner",
        "Customers",
        "Case timeline",
        "Appeals",
        "Letters",
        "SPOC register",
        "PVP register",
        "Contact arrangements",
        "Monitoring",
    },
    "contractor": {"Contact arrangements"},
    "admin": {"My work", "Audit log", "Users", "Outbox"},
}
# Issue 16: visit planning for everyone who sees the arrangements; contacts and notes for recorders.
for _pages in EXPECTED.values():
    if "Contact arrangements" in _pages:
        _pages.add("Visit planning")
    if "Log an incident" in _pages:
        _pages.add("Contacts and notes")


def test_signed_out_app_shows_only_the_login_form(app_db):
    at = new_app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Login"]
    assert "actor" not in at.session_state
    assert not at.dataframe and not at.selectbox


def test_wrong_password_shows_the_login_error_and_nothing_else(app_db):
    at = new_app().run()
    at.text_input[0].input("teamleader")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [
        "Username or password is incorrect, or the account is locked. "
        "After 5 failed attempts an account is locked for 15 minutes."
    ]
    assert "actor" not in at.session_state
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_demo_account_signs_in_through_the_form(app_db):
    at = new_app().run()
    at.text_input[0].input("teamleader")
    at.text_input[1].input("fairtreatment-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["actor"].username == "teamleader"
    assert any("Team leader" in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_is_offered_exactly_its_pages(app_db, username):
    actor = demo_actors(app_db)[username]
    assert {p.title for p in pages_for(actor)} == EXPECTED[username]
    at = app_as(username)
    assert not at.exception
    assert at.session_state["actor"].role == actor.role


def test_a_page_outside_the_role_cannot_be_reached_by_url(app_db):
    at = app_as("contractor")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")
    admin = app_as("admin", "pages/users.py")
    assert [h.value for h in admin.header] == ["Users"]


def test_the_service_behind_a_hidden_page_refuses_the_role(app_db):
    actors = demo_actors(app_db)
    with pytest.raises(PermissionDenied):
        users.add_user(
            actors["teamleader"],
            "newperson",
            "New Person",
            "viewer",
            "long-enough-password",
            UnitOfWork(app_db),
        )


def test_disabled_account_is_signed_out(app_db):
    actors = demo_actors(app_db)
    users.set_user_active(
        actors["admin"], actors["teamleader"].user_id, False, "left NPH", UnitOfWork(app_db)
    )
    at = app_as("teamleader")
    assert "actor" not in at.session_state
    assert any("disabled" in i.value for i in at.info)


def test_a_page_script_run_directly_still_refuses_the_wrong_role(app_db):
    """Even reached without app.py's router (e.g. Streamlit's pages/ folder routing), a page
    refuses a role it is not for before showing anything."""
    import os

    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import ROOT, TIMEOUT

    at = AppTest.from_file(os.path.join(ROOT, "pages", "users.py"), default_timeout=TIMEOUT)
    at.session_state["actor"] = demo_actors(app_db)["teamleader"]
    at.run()
    assert [e.value for e in at.error] == [
        "The Users page is not available to your role (Team leader / manager)."
    ]
    assert not at.button and not at.dataframe
    at.session_state["actor"] = demo_actors(app_db)["admin"]
    at.run()
    assert [h.value for h in at.header] == ["Users"]


def test_signed_out_router_offers_only_the_sign_in_page(app_db):
    at = new_app().run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/customers.py")


def test_a_bad_idle_setting_shows_one_clear_line_not_a_traceback(app_db, monkeypatch):
    monkeypatch.setenv("FT_SESSION_IDLE_MINUTES", "half an hour")
    at = app_as("teamleader")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Fair Treatment cannot start: FT_SESSION_IDLE_MINUTES must be a whole number from 1 to 1440, "
        "not 'half an hour'."
    ]


# --- issue 14 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_roles_first_page_has_its_own_address_and_the_root_opens_it(app_db, username, monkeypatch):
    """The role's first page was the default page, served only at the root, so its own address
    (e.g. /customers for a team leader) showed "Page not found"."""
    from pathlib import Path

    import streamlit as st

    offered, real = [], st.navigation

    def recording(pages, **kwargs):
        flat = [p for group in (pages.values() if isinstance(pages, dict) else [pages]) for p in group]
        offered.append({p.url_path: p for p in flat})
        return real(pages, **kwargs)

    monkeypatch.setattr(st, "navigation", recording)
    at = app_as(username)
    assert not at.exception
    addresses = offered[-1]
    for page in pages_for(demo_actors(app_db)[username]):
        assert Path(page.path).stem in addresses, page.title  # /customers, /arrangements, ...
    first = pages_for(demo_actors(app_db)[username])[0]
    assert addresses[""].title == "Home" and addresses[""].visibility == "hidden"
    assert first.title in [h.value for h in at.header] + [t.value for t in at.title]  # the root opens it


def test_the_built_in_csv_download_of_dataframes_is_off():
    """Issue 14 item 3: Streamlit's own "Download as CSV" bypassed the neutralising, audited
    exports; .streamlit/config.toml turns it off for every dataframe."""
    import os
    import tomllib

    from tests.pages.conftest import ROOT

    with open(os.path.join(ROOT, ".streamlit", "config.toml"), "rb") as f:
        settings = tomllib.load(f)
    assert settings["client"]["disableDataExport"] is True
    from streamlit import config as st_config

    st_config._config_options = None  # read the project's file afresh
    st_config.get_config_options(force_reparse=True, options_from_flags={})
    assert st_config.get_option("client.disableDataExport") is True
