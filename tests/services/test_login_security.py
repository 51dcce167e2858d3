"""Login security (issue 9): lock-out after 5 failures in 15 minutes, bcrypt-only passwords,
a cookie key that is never an example value, and audited user administration."""
import datetime as dt

import pytest
from sqlalchemy import func, select, text

from core import auth
from core.errors import ConfigError, PermissionDenied, PolicyError
from core.models import AuditEntry, LoginAttempt, User
from core.services import users

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
MIN = dt.timedelta(minutes=1)


def fail(uow, username, at, times=1):
    for i in range(times):
        auth.record_login_attempt(username, False, uow(), now=at + i * dt.timedelta(seconds=10))


def audit_actions(uow, action):
    with uow() as u:
        return u.session.scalars(select(AuditEntry.after).where(AuditEntry.action == action)
                                 .order_by(AuditEntry.id)).all()


def test_four_failures_do_not_lock_the_fifth_does(uow):
    fail(uow, "teamleader", T0, 4)
    assert not auth.is_locked_out("teamleader", uow(), now=T0 + MIN)
    fail(uow, "teamleader", T0 + MIN)
    assert auth.is_locked_out("teamleader", uow(), now=T0 + 2 * MIN)
    assert not auth.is_locked_out("dmo", uow(), now=T0 + 2 * MIN)
    assert len(audit_actions(uow, "login_failed")) == 5
    assert audit_actions(uow, "login_locked") == [{"username": "teamleader", "minutes": 15}]


def test_failures_spread_over_more_than_15_minutes_do_not_lock(uow):
    for i in range(6):
        fail(uow, "teamleader", T0 + i * 4 * MIN)        # 6 failures, never 5 within 15 min
    assert not auth.is_locked_out("teamleader", uow(), now=T0 + 21 * MIN)


def test_lock_lasts_15_minutes_from_the_fifth_failure_then_lifts(uow):
    fail(uow, "teamleader", T0, 5)
    fifth = T0 + 40 * dt.timedelta(seconds=1)
    assert auth.is_locked_out("teamleader", uow(), now=fifth + 14 * MIN)
    assert not auth.is_locked_out("teamleader", uow(), now=fifth + 15 * MIN + MIN)


def test_attempts_while_locked_are_audited_but_do_not_extend_the_lock(uow):
    fail(uow, "teamleader", T0, 5)
    for _ in range(3):
        auth.record_refused_login("teamleader", uow())
    assert len(audit_actions(uow, "login_refused_locked")) == 3
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(LoginAttempt)) == 5
    assert not auth.is_locked_out("teamleader", uow(), now=T0 + 16 * MIN)


def test_a_success_clears_earlier_failures(uow):
    fail(uow, "teamleader", T0, 4)
    auth.record_login_attempt("teamleader", True, uow(), now=T0 + MIN)
    fail(uow, "teamleader", T0 + 2 * MIN, 4)
    assert not auth.is_locked_out("teamleader", uow(), now=T0 + 3 * MIN)
    fail(uow, "teamleader", T0 + 3 * MIN)
    assert auth.is_locked_out("teamleader", uow(), now=T0 + 4 * MIN)


def test_locked_user_gets_a_credentials_entry_no_password_matches(uow):
    creds = auth.authenticator_credentials(uow(), locked={"teamleader"})
    assert not auth.check_password("fairtreatment-demo", creds["usernames"]["teamleader"]["password"])
    assert auth.check_password("fairtreatment-demo", creds["usernames"]["dmo"]["password"])


def test_passwords_are_stored_only_as_bcrypt_hashes(uow, actors, db_url):
    users.add_user(actors["admin"], "newperson", "New Person", "viewer",
                   "correct horse battery", uow())
    with uow() as u:
        hashes = u.session.scalars(select(User.password_hash)).all()
        assert hashes and all(h.startswith(("$2b$", "$2a$")) and len(h) == 60 for h in hashes)
        # The plain passwords appear nowhere: not in users, audit entries or settings.
        for table in ("app_user", "audit_entry", "app_setting", "login_attempt"):
            rows = u.session.execute(text(f"SELECT * FROM {table}")).all()
            dump = repr(rows)
            assert "correct horse battery" not in dump
            assert "fairtreatment-demo" not in dump
        new_hash = u.session.scalar(select(User.password_hash).where(User.username == "newperson"))
    assert auth.check_password("correct horse battery", new_hash)


@pytest.mark.parametrize("value", ["some_key", "some_signature_key", "abcdef", "changeme",
                                   "random_signature_key", "short-key"])
def test_cookie_key_refuses_example_or_short_values(uow, monkeypatch, value):
    monkeypatch.setenv("FT_COOKIE_KEY", value)
    with pytest.raises(ConfigError, match="FT_COOKIE_KEY"):
        auth.cookie_key(uow())


def test_cookie_key_is_generated_once_and_shared(uow, monkeypatch):
    monkeypatch.delenv("FT_COOKIE_KEY", raising=False)
    first = auth.cookie_key(uow())
    assert first == auth.cookie_key(uow())
    assert len(first) >= 32 and first not in auth.EXAMPLE_COOKIE_KEYS
    monkeypatch.setenv("FT_COOKIE_KEY", "k" * 8 + "Zq93-xv1LmNp")
    assert auth.cookie_key(uow()) == "k" * 8 + "Zq93-xv1LmNp"


def test_admin_adds_resets_and_disables_users_all_audited(uow, actors):
    admin = actors["admin"]
    new_id = users.add_user(admin, "NewPerson", "New Person", "viewer", "first-password-1", uow())
    users.reset_password(admin, new_id, "second-password-2", uow())
    users.set_user_active(admin, new_id, False, "Contract ended", uow())
    with uow() as u:
        user = u.session.get(User, new_id)
        assert user.username == "newperson" and not user.active
        assert auth.check_password("second-password-2", user.password_hash)
        assert not auth.check_password("first-password-1", user.password_hash)
        entries = u.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "app_user",
                                                             AuditEntry.entity_id == new_id)
                                    .order_by(AuditEntry.id)).all()
        entries = [(e.action, e.username, e.after, e.reason) for e in entries]
    assert [e[0] for e in entries] == ["add_user", "reset_password", "disable_user"]
    assert all(e[1] == "admin" for e in entries)
    assert "password_hash" not in entries[0][2]
    assert entries[2][3] == "Contract ended"
    assert auth.load_actor("newperson", uow()) is None
    assert "newperson" not in auth.authenticator_credentials(uow())["usernames"]


@pytest.mark.parametrize("role", ["teamleader", "dmo", "contractor", "ad.housing"])
def test_only_the_administrator_manages_users(uow, actors, role):
    with pytest.raises(PermissionDenied):
        users.add_user(actors[role], "x-person", "X", "viewer", "long-enough-pw", uow())
    with pytest.raises(PermissionDenied):
        users.reset_password(actors[role], actors["dmo"].user_id, "long-enough-pw", uow())
    with pytest.raises(PermissionDenied):
        users.set_user_active(actors[role], actors["dmo"].user_id, False, "x", uow())


def test_weak_password_and_self_disable_are_refused(uow, actors):
    with pytest.raises(PolicyError, match="at least 10"):
        users.add_user(actors["admin"], "weak", "Weak", "viewer", "short", uow())
    with pytest.raises(PolicyError, match="your own account"):
        users.set_user_active(actors["admin"], actors["admin"].user_id, False, "oops", uow())


@pytest.mark.parametrize("username", ["<script>", "a b", "x", "-lead", "ünïcode", "semi;colon"])
def test_usernames_are_plain_so_they_can_sign_in(uow, actors, username):
    with pytest.raises(PolicyError, match="Username"):
        users.add_user(actors["admin"], username, "Some One", "viewer", "long-enough-pw", uow())


def test_passwords_longer_than_bcrypt_allows_are_refused_not_truncated(uow, actors):
    with pytest.raises(PolicyError, match="at most 72 bytes"):
        users.add_user(actors["admin"], "longpw", "Long Pw", "viewer", "p" * 73, uow())
    with pytest.raises(PolicyError, match="at most 72 bytes"):
        users.reset_password(actors["admin"], actors["dmo"].user_id, "😀" * 19, uow())
    users.add_user(actors["admin"], "okpw", "Ok Pw", "viewer", "p" * 72, uow())


def test_signing_out_revokes_cookies_issued_before_it(uow, actors):
    lifetime = dt.timedelta(minutes=30)
    now = dt.datetime.now(dt.timezone.utc)
    old_cookie = (now - dt.timedelta(minutes=5) + lifetime).timestamp()   # issued 5 minutes ago
    assert not auth.cookie_revoked("teamleader", old_cookie, lifetime, uow())
    auth.record_logout(actors["teamleader"], uow())
    assert auth.cookie_revoked("teamleader", old_cookie, lifetime, uow())
    assert not auth.cookie_revoked("dmo", old_cookie, lifetime, uow())
    new_cookie = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2) + lifetime).timestamp()
    assert not auth.cookie_revoked("teamleader", new_cookie, lifetime, uow())
    assert audit_actions(uow, "logout") == [{"username": "teamleader"}]
