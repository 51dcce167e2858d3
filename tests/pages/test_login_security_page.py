"""Login security through the real sign-in form (AppTest): lock-out, idle expiry, cookie key,
and the administrator's Users page."""

import time

from sqlalchemy import func, select

from core import auth
from core.db import UnitOfWork
from core.models import AuditEntry, LoginAttempt, User
from tests.pages.conftest import app_as, new_app

LOCK_MESSAGE = (
    "Username or password is incorrect, or the account is locked. "
    "After 5 failed attempts an account is locked for 15 minutes."
)


def try_login(username: str, password: str):
    at = new_app().run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def actions(url: str, action: str) -> int:
    with UnitOfWork(url) as u:
        return u.session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        ).scalar_one()


def test_five_failures_lock_the_account_even_with_the_right_password(app_db):
    for _ in range(5):
        at = try_login("teamleader", "not-the-password")
        assert [e.value for e in at.error] == [LOCK_MESSAGE]
    assert auth.is_locked_out("teamleader", UnitOfWork(app_db))
    # A new browser session (fresh AppTest) with the right password is refused too.
    at = try_login("teamleader", "fairtreatment-demo")
    assert not at.exception
    assert "actor" not in at.session_state
    assert [e.value for e in at.error] == [LOCK_MESSAGE]
    assert actions(app_db, "login_failed") == 5
    assert actions(app_db, "login_locked") == 1
    assert actions(app_db, "login_refused_locked") == 1
    with UnitOfWork(app_db) as u:
        assert (
            u.session.scalar(
                select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(True))
            )
            == 0
        )
    # Another user is unaffected.
    other = try_login("dmo", "fairtreatment-demo")
    assert other.session_state["actor"].username == "dmo"


def test_a_locked_account_with_a_live_session_is_signed_out(app_db):
    for _ in range(5):
        auth.record_login_attempt("teamleader", False, UnitOfWork(app_db))
    at = app_as("teamleader")  # e.g. a re-authentication cookie: the lock still applies
    assert "actor" not in at.session_state
    assert any("locked" in i.value for i in at.info)


def returning_session(username: str, idle_seconds: float):
    """A browser session signed in earlier and last active `idle_seconds` ago.

    A fresh AppTest, because AppTest's later runs on a page execute pages/*.py directly (its
    multipage fallback when a pages/ folder exists) and skip app.py's session checks."""
    at = new_app()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["last_seen"] = time.time() - idle_seconds
    return at.run()


def test_an_idle_session_expires(app_db, monkeypatch):
    monkeypatch.setenv("FT_SESSION_IDLE_MINUTES", "5")
    at = returning_session("teamleader", 6 * 60)
    assert not at.exception
    assert "actor" not in at.session_state
    assert any("inactivity" in i.value for i in at.info)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_an_active_session_within_the_idle_time_stays_signed_in(app_db, monkeypatch):
    monkeypatch.setenv("FT_SESSION_IDLE_MINUTES", "5")
    at = returning_session("teamleader", 4 * 60)
    assert at.session_state["actor"].username == "teamleader"
    assert at.session_state["last_seen"] > time.time() - 60


def test_an_example_cookie_key_stops_the_app_with_a_clear_message(app_db, monkeypatch):
    monkeypatch.setenv("FT_COOKIE_KEY", "some_signature_key")
    at = new_app().run()
    assert not at.exception
    assert any("FT_COOKIE_KEY" in e.value for e in at.error)
    assert not at.text_input


def test_admin_page_adds_resets_and_disables_a_user(app_db):
    at = app_as("admin", "pages/users.py")
    by_label = {t.label: t for t in at.text_input}
    by_label["Username"].input("newofficer")
    by_label["Full name"].input("New Officer")
    by_label["Initial password (12+ characters, not a common password)"].input("a-long-password-1")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert any("Added newofficer" in s.value for s in at.success)
    with UnitOfWork(app_db) as u:
        user = u.session.scalar(select(User).where(User.username == "newofficer"))
        user_id, first_hash = user.id, user.password_hash
    assert first_hash.startswith("$2b$")

    choice = next(s for s in at.selectbox if s.key == "reset_who")
    choice.select(next(o for o in choice.options if o.startswith("newofficer")))
    next(t for t in at.text_input if t.label == "New password").input("another-long-pw-2")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert any("Password reset" in s.value for s in at.success)

    choice = next(s for s in at.selectbox if s.key == "active_who")
    choice.select(next(o for o in choice.options if o.startswith("newofficer")))
    at.radio[0].set_value("Disable")
    next(t for t in at.text_input if t.label == "Reason").input("Left the organisation")
    next(b for b in at.button if b.label == "Save").click().run()
    assert any(s.value == "Saved." for s in at.success)

    with UnitOfWork(app_db) as u:
        user = u.session.get(User, user_id)
        assert not user.active and auth.check_password("another-long-pw-2", user.password_hash)
        logged = u.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "app_user", AuditEntry.entity_id == user_id)
            .order_by(AuditEntry.id)
        ).all()
    assert logged == ["add_user", "reset_password", "disable_user"]
    refused = try_login("newofficer", "another-long-pw-2")
    assert "actor" not in refused.session_state


# --- issue 14: sessions that really end -------------------------------------------------------

import datetime as dt  # noqa: E402

import pytest  # noqa: E402
import streamlit as st  # noqa: E402

from core.services import users  # noqa: E402
from tests.scenarios import demo_actors  # noqa: E402

KEY = "e2e-style-cookie-key-" + "q" * 16


def signed_out_form(at) -> bool:
    return [t.label for t in at.text_input] == ["Username", "Password"] and "actor" not in at.session_state


def test_a_disabled_users_open_tab_is_signed_out_on_its_next_action(app_db):
    at = app_as("teamleader", "pages/customers.py")
    assert at.session_state["actor"].username == "teamleader"
    admin = demo_actors(app_db)["admin"]
    users.set_user_active(admin, at.session_state["actor"].user_id, False, "Left NPH", UnitOfWork(app_db))
    at.run()  # the next click in the open tab
    assert not at.exception
    assert signed_out_form(at)
    assert any("account disabled" in i.value for i in at.info)


def test_a_password_reset_ends_the_open_session(app_db):
    at = app_as("dmo")
    admin = demo_actors(app_db)["admin"]
    users.reset_password(
        admin, at.session_state["actor"].user_id, "a new long passphrase", UnitOfWork(app_db)
    )
    at.run()
    assert signed_out_form(at)
    assert any("signed out" in i.value for i in at.info)


def test_signing_out_in_one_tab_ends_the_other_tabs(app_db):
    first, second = app_as("teamleader"), app_as("teamleader")
    first.switch_page("pages/customers.py").run()
    auth.record_logout(first.session_state["actor"], UnitOfWork(app_db))  # the Sign out page
    second.run()
    assert signed_out_form(second)


@pytest.fixture
def browser_cookie(monkeypatch):
    """Set the sign-in cookie the browser sends when a new tab opens."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: jar))
    monkeypatch.setenv("FT_COOKIE_KEY", KEY)
    return jar


def test_a_new_tab_with_a_valid_cookie_is_signed_in(app_db, browser_cookie):
    browser_cookie[auth.COOKIE_NAME] = auth.issue_cookie(
        auth.load_actor("teamleader", UnitOfWork(app_db)), KEY, dt.timedelta(minutes=30)
    )
    at = new_app().run()
    assert not at.exception
    assert at.session_state["actor"].username == "teamleader"


def test_a_new_tab_with_a_disabled_users_cookie_shows_the_form_and_says_why(app_db, browser_cookie):
    actor = auth.load_actor("teamleader", UnitOfWork(app_db))
    browser_cookie[auth.COOKIE_NAME] = auth.issue_cookie(actor, KEY, dt.timedelta(minutes=30))
    users.set_user_active(demo_actors(app_db)["admin"], actor.user_id, False, "Left", UnitOfWork(app_db))
    at = new_app().run()
    assert not at.exception
    assert signed_out_form(at)
    assert any("account disabled" in i.value for i in at.info)


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VybmFtZSI6ImFkbWluIiwiZXhwX2RhdGUiOjk5OTk5OTk5OTl9.",
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiIsImdlbiI6MCwiZXhwIjo5OTk5OTk5OTk5fQ.",
        "not-a-token",
        "a.b.c",
    ],
)
def test_an_unsigned_or_tampered_cookie_gives_the_sign_in_form_not_a_crash(app_db, browser_cookie, token):
    browser_cookie[auth.COOKIE_NAME] = token
    at = new_app().run()
    assert not at.exception
    assert signed_out_form(at)


def test_the_cookie_is_renewed_while_the_user_keeps_working(app_db, browser_cookie):
    actor = auth.load_actor("teamleader", UnitOfWork(app_db))
    issued_25_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=25)
    browser_cookie[auth.COOKIE_NAME] = auth.issue_cookie(
        actor, KEY, dt.timedelta(minutes=30), now=issued_25_minutes_ago
    )
    at = new_app().run()
    assert at.session_state["actor"].username == "teamleader"
    at.session_state["cookie_written_at"] = time.time() - 25 * 60  # still working 25 minutes on
    at.run()
    import jwt

    renewed = jwt.decode(at.session_state["cookie_token"], KEY, algorithms=["HS256"])
    assert renewed["exp"] > time.time() + 29 * 60  # 30 minutes from now


def test_signing_in_through_the_form_needs_no_waiting(app_db, monkeypatch):
    slept, original = [], time.sleep
    monkeypatch.setattr(time, "sleep", lambda s: slept.append(s) or original(s))
    at = try_login("teamleader", "fairtreatment-demo")
    assert at.session_state["actor"].username == "teamleader"
    assert [s for s in slept if s >= 0.05] == []  # no fixed pause for a cookie component
    assert auth.read_cookie(at.session_state["cookie_token"], auth.cookie_key(UnitOfWork(app_db)))


# --- demo data and production -----------------------------------------------------------------


def test_the_sign_in_page_warns_when_demo_accounts_exist(app_db):
    at = new_app().run()
    assert any("Demo data: do not enter real information" in w.value for w in at.warning)


def test_no_demo_warning_without_demo_accounts(tmp_path, monkeypatch):
    from db.setup import initialise

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    initialise(url)
    monkeypatch.setenv("DATABASE_URL", url)
    at = new_app().run()
    assert not at.exception and not at.warning
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_the_app_refuses_to_start_with_demo_accounts_in_production(app_db, monkeypatch):
    monkeypatch.setenv("FT_PRODUCTION", "1")
    at = new_app().run()
    assert not at.exception
    assert any("FT_PRODUCTION=1" in e.value for e in at.error)
    assert not at.text_input
    signed_in = app_as("teamleader")
    assert "actor" not in signed_in.session_state or any("FT_PRODUCTION" in e.value for e in signed_in.error)


def test_the_first_administrator_must_replace_the_one_time_password(tmp_path, monkeypatch):
    from db.setup import add_first_administrator, initialise

    url = f"sqlite:///{tmp_path / 'prod.db'}"
    initialise(url)
    username, password = add_first_administrator("it.lead@nph.org.uk", url)
    monkeypatch.setenv("DATABASE_URL", url)
    at = try_login(username, password)
    assert not at.exception
    assert [t.value for t in at.title] == ["Choose a new password"]
    labels = {t.label: t for t in at.text_input}
    labels["One-time password"].input(password)
    labels["New password"].input("password12345")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert any("most commonly used" in e.value for e in at.error)
    labels = {t.label: t for t in at.text_input}
    labels["One-time password"].input(password)
    labels["New password"].input("copper kettle lantern")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert not at.exception
    assert at.session_state["actor"].must_change_password is False
    at.switch_page("pages/users.py").run()
    assert [h.value for h in at.header] == ["Users"]
