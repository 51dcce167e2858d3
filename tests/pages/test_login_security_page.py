"""Login security through the real sign-in form (AppTest): lock-out, idle expiry, cookie key,
and the administrator's Users page."""
import time

from sqlalchemy import func, select

from core import auth
from core.db import UnitOfWork
from core.models import AuditEntry, LoginAttempt, User
from tests.pages.conftest import app_as, new_app

LOCK_MESSAGE = ("Username or password is incorrect, or the account is locked. "
                "After 5 failed attempts an account is locked for 15 minutes.")


def try_login(username: str, password: str):
    at = new_app().run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def actions(url: str, action: str) -> int:
    with UnitOfWork(url) as u:
        return u.session.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == action))


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
        assert u.session.scalar(select(func.count()).select_from(LoginAttempt)
                                .where(LoginAttempt.succeeded.is_(True))) == 0
    # Another user is unaffected.
    other = try_login("dmo", "fairtreatment-demo")
    assert other.session_state["actor"].username == "dmo"


def test_a_locked_account_with_a_live_session_is_signed_out(app_db):
    for _ in range(5):
        auth.record_login_attempt("teamleader", False, UnitOfWork(app_db))
    at = app_as("teamleader")          # e.g. a re-authentication cookie: the lock still applies
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
    by_label["Initial password (10+ characters)"].input("a-long-password-1")
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
        logged = u.session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity_type == "app_user", AuditEntry.entity_id == user_id)
            .order_by(AuditEntry.id)).all()
    assert logged == ["add_user", "reset_password", "disable_user"]
    refused = try_login("newofficer", "another-long-pw-2")
    assert "actor" not in refused.session_state
