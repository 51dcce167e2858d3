"""Login security (issue 9): lock-out after 5 failures in 15 minutes, bcrypt-only passwords,
a cookie key that is never an example value, and audited user administration."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from core import auth
from core.errors import ConfigError, PermissionDenied, PolicyError
from core.models import AuditEntry, LoginAttempt, User
from core.services import users

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def fail(uow, username, at, times=1):
    for i in range(times):
        auth.record_login_attempt(username, False, uow(), now=at + i * dt.timedelta(seconds=10))


def audit_actions(uow, action):
    with uow() as u:
        return u.session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


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
        fail(uow, "teamleader", T0 + i * 4 * MIN)  # 6 failures, never 5 within 15 min
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


def test_passwords_are_stored_only_as_bcrypt_hashes(uow, actors, db_url):
    users.add_user(actors["admin"], "newperson", "New Person", "viewer", "correct horse battery", uow())
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


@pytest.mark.parametrize(
    "value", ["some_key", "some_signature_key", "abcdef", "changeme", "random_signature_key", "short-key"]
)
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
        entries = u.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "app_user", AuditEntry.entity_id == new_id)
            .order_by(AuditEntry.id)
        ).all()
        entries = [(e.action, e.username, e.after, e.reason) for e in entries]
    assert [e[0] for e in entries] == ["add_user", "reset_password", "disable_user"]
    assert all(e[1] == "admin" for e in entries)
    assert "password_hash" not in entries[0][2]
    assert entries[2][3] == "Contract ended"
    assert auth.load_actor("newperson", uow()) is None
    assert auth.attempt_sign_in("newperson", "second-password-2", uow).actor is None


@pytest.mark.parametrize("role", ["teamleader", "dmo", "contractor", "ad.housing"])
def test_only_the_administrator_manages_users(uow, actors, role):
    with pytest.raises(PermissionDenied):
        users.add_user(actors[role], "x-person", "X", "viewer", "long-enough-pw", uow())
    with pytest.raises(PermissionDenied):
        users.reset_password(actors[role], actors["dmo"].user_id, "long-enough-pw", uow())
    with pytest.raises(PermissionDenied):
        users.set_user_active(actors[role], actors["dmo"].user_id, False, "x", uow())


def test_weak_password_and_self_disable_are_refused(uow, actors):
    with pytest.raises(PolicyError, match="at least 12"):
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


def test_signing_out_ends_every_session_and_cookie_of_the_user(uow, actors):
    key = "k" * 20 + "Zq93-xv1LmNp"
    tl = auth.load_actor("teamleader", uow())
    cookie = auth.issue_cookie(tl, key, dt.timedelta(minutes=30))
    other_tab = auth.load_actor("teamleader", uow())
    assert auth.actor_from_cookie(cookie, key, uow)[0] == tl
    auth.record_logout(tl, uow())
    assert auth.session_problem(other_tab, uow()) == auth.ENDED
    assert auth.actor_from_cookie(cookie, key, uow) == (None, auth.ENDED)
    dmo = auth.load_actor("dmo", uow())
    assert auth.session_problem(dmo, uow()) is None  # other users are unaffected
    assert audit_actions(uow, "logout") == [{"username": "teamleader"}]


# --- issue 14: sessions that really end ---------------------------------------------------

KEY = "k" * 20 + "Zq93-xv1LmNp"


def test_disabling_a_user_ends_their_open_sessions_and_cookies(uow, actors):
    open_tab = auth.load_actor("teamleader", uow())
    cookie = auth.issue_cookie(open_tab, KEY, dt.timedelta(minutes=30))
    assert auth.session_problem(open_tab, uow()) is None
    users.set_user_active(actors["admin"], open_tab.user_id, False, "Left NPH", uow())
    assert auth.session_problem(open_tab, uow()) == auth.DISABLED
    assert "account disabled" in auth.DISABLED
    assert auth.actor_from_cookie(cookie, KEY, uow) == (None, auth.DISABLED)
    # Enabled again, the old session and cookie stay ended: the user signs in afresh.
    users.set_user_active(actors["admin"], open_tab.user_id, True, "Returned", uow())
    assert auth.session_problem(open_tab, uow()) == auth.ENDED
    assert auth.actor_from_cookie(cookie, KEY, uow) == (None, auth.ENDED)


def test_a_password_reset_ends_open_sessions_and_cookies(uow, actors):
    open_tab = auth.load_actor("dmo", uow())
    cookie = auth.issue_cookie(open_tab, KEY, dt.timedelta(minutes=30))
    users.reset_password(actors["admin"], open_tab.user_id, "a brand new passphrase", uow())
    assert auth.session_problem(open_tab, uow()) == auth.ENDED
    assert auth.actor_from_cookie(cookie, KEY, uow)[0] is None
    fresh = auth.attempt_sign_in("dmo", "a brand new passphrase", uow).actor
    assert fresh is not None and auth.session_problem(fresh, uow()) is None


def _alg_none(claims: dict) -> str:
    import base64
    import json

    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_tampered_unsigned_expired_or_foreign_cookies_are_not_a_sign_in(uow):
    import jwt

    tl = auth.load_actor("teamleader", uow())
    good = auth.issue_cookie(tl, KEY, dt.timedelta(minutes=30))
    assert auth.read_cookie(good, KEY) == ("teamleader", tl.session_generation)
    exp = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).timestamp())
    bad = [
        _alg_none({"sub": "admin", "gen": 0, "exp": exp}),
        _alg_none({"username": "admin", "exp_date": exp}),
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),  # signature changed
        auth.issue_cookie(tl, "another-key-of-16-chars", dt.timedelta(minutes=30)),
        auth.issue_cookie(tl, KEY, dt.timedelta(minutes=30), now=T0),  # expired
        jwt.encode({"sub": "admin", "exp": exp}, KEY, algorithm="HS256"),  # no generation
        jwt.encode({"sub": ["admin"], "gen": 0, "exp": exp}, KEY, algorithm="HS256"),
        "not a token",
        "",
        "a.b.c",
        "😀.😀.😀",
    ]
    for token in bad:
        assert auth.read_cookie(token, KEY) is None, token
        assert auth.actor_from_cookie(token, KEY, uow) == (None, "")


def test_a_parallel_burst_of_12_wrong_passwords_gets_at_most_5_password_checks(uow, db_url, monkeypatch):
    import threading

    from core.db import UnitOfWork

    with uow() as u:
        real_hash = u.session.scalar(select(User.password_hash).where(User.username == "teamleader"))
    checked, lock = [], threading.Lock()
    original = auth.check_password

    def counting(password, password_hash):
        if password_hash == real_hash:
            with lock:
                checked.append(password)
        return original(password, password_hash)

    monkeypatch.setattr(auth, "check_password", counting)
    start = threading.Barrier(12)
    results = []

    def attempt(n):
        start.wait()
        results.append(auth.attempt_sign_in("teamleader", f"wrong-password-{n}", lambda: UnitOfWork(db_url)))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 12 and all(r.actor is None for r in results)
    assert len(checked) <= auth.MAX_FAILED_LOGINS
    with uow() as u:
        assert u.session.scalar(select(func.count()).select_from(LoginAttempt)) == auth.MAX_FAILED_LOGINS
    assert auth.is_locked_out("teamleader", uow())
    assert len(audit_actions(uow, "login_refused_locked")) == 12 - auth.MAX_FAILED_LOGINS
    # Locked: even the right password is not checked against the real hash.
    assert auth.attempt_sign_in("teamleader", "fairtreatment-demo", uow).actor is None
    assert len(checked) <= auth.MAX_FAILED_LOGINS


def test_unknown_usernames_cost_one_check_against_a_hash_of_the_same_cost(uow, monkeypatch):
    import bcrypt

    costs = []
    original = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda pw, h: costs.append(h[:7]) or original(pw, h))
    assert auth.attempt_sign_in("teamleader", "wrong-password-1", uow).actor is None
    assert auth.attempt_sign_in("nobody-by-this-name", "wrong-password-1", uow).actor is None
    assert len(costs) == 2 and costs[0] == costs[1]  # e.g. b"$2b$04$" and b"$2b$04$"
    # Both are counted and audited alike.
    assert [a["username"] for a in audit_actions(uow, "login_failed")] == [
        "teamleader",
        "nobody-by-this-name",
    ]


def test_unknown_and_known_usernames_cost_one_bcrypt_check_of_the_same_cost(uow, monkeypatch):
    """An unknown username is checked against a dummy hash of the production cost, so it takes as
    long to fail as a known one (the time itself is a benchmark, not a test)."""
    import bcrypt

    monkeypatch.setenv("FT_BCRYPT_ROUNDS", "5")
    with uow() as u:
        user = u.session.scalar(select(User).where(User.username == "hsw"))
        user.password_hash = auth.hash_password("fairtreatment-demo")
        u.commit()
    checked: list[int] = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        checked.append(int(hashed.decode().split("$")[2]))  # the hash's cost
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_checkpw)
    auth.attempt_sign_in("hsw", "wrong-password-x", uow)
    auth.attempt_sign_in("no-such-user", "wrong-password-x", uow)
    assert checked == [5, 5]


def test_the_right_password_signs_in_and_clears_the_failures(uow):
    for n in range(4):
        assert auth.attempt_sign_in("teamleader", f"wrong-{n}", uow).actor is None
    signed = auth.attempt_sign_in("teamleader", "fairtreatment-demo", uow)
    assert signed.actor is not None and signed.actor.username == "teamleader"
    assert not auth.is_locked_out("teamleader", uow())
    assert auth.attempt_sign_in("TeamLeader ", "fairtreatment-demo", uow).actor is not None
    assert len(audit_actions(uow, "login")) == 2


# --- NCSC passwords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password1234!",
        "qwertyuiop123",
        "iloveyou2026",
        "123456789012",
        "PASSWORDPASSWORD",
        "fairtreatment-demo",
        "liverpool1892",
    ],
)
def test_common_passwords_are_refused_whatever_their_case_or_ending(uow, actors, password):
    assert len(password) >= 12
    with pytest.raises(PolicyError, match="most commonly used"):
        users.add_user(actors["admin"], "newperson", "New Person", "viewer", password, uow())


@pytest.mark.parametrize("password", ["short pw 11", "elevenchars"])
def test_passwords_shorter_than_12_are_refused(uow, actors, password):
    with pytest.raises(PolicyError, match="at least 12"):
        users.reset_password(actors["admin"], actors["dmo"].user_id, password, uow())


def test_no_composition_rules_a_long_plain_passphrase_is_fine(uow, actors):
    users.add_user(actors["admin"], "newperson", "New Person", "viewer", "kettle river orange", uow())
    assert len(users.common_passwords()) >= 1000


def test_the_cookie_key_is_not_kept_in_the_database_when_ft_cookie_key_is_given(uow, monkeypatch):
    from core.models import AppSetting

    monkeypatch.delenv("FT_COOKIE_KEY", raising=False)
    auth.cookie_key(uow())  # an earlier run without the variable
    monkeypatch.setenv("FT_COOKIE_KEY", KEY)
    assert auth.cookie_key(uow()) == KEY
    assert auth.forget_stored_cookie_key(uow())
    with uow() as u:
        assert u.session.get(AppSetting, "cookie_key") is None
    assert auth.cookie_key(uow()) == KEY
    with uow() as u:
        assert u.session.get(AppSetting, "cookie_key") is None
