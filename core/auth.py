"""Passwords, login lock-out, sessions that really end, the login cookie and turning a
signed-in username into an Actor.

Sign-in (`attempt_sign_in`) reserves a login attempt in the database before it checks the
password, so a burst of parallel attempts gets at most five password checks; unknown
usernames are checked against a dummy hash of the same cost, so they take as long to fail.
Each user has a session generation number: disabling the account, resetting its password or
signing out bumps it, and every session or cookie issued with an older number ends on its next
action (`session_problem`, `actor_from_cookie`).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import bcrypt
import jwt
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from core import config
from core.db import UnitOfWork
from core.errors import ConfigError
from core.models import AppSetting, LoginAttempt, User, utcnow
from core.permissions import Actor

log = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
EXAMPLE_COOKIE_KEYS = {
    "",
    "some_key",
    "some_signature_key",
    "abcdef",
    "changeme",
    "random_signature_key",
    "your-secret-key",
    "secret",
    "example",
    "cookie_key",
    "change-me-to-a-long-random-string",
}
COOKIE_NAME = "fair_treatment_auth"
# A bcrypt hash of a random secret nobody knows: a locked account's password never matches.
_NEVER_MATCHES = bcrypt.hashpw(secrets.token_bytes(24), bcrypt.gensalt(4)).decode("ascii")
SIGN_IN_REFUSED = (
    "Username or password is incorrect, or the account is locked. "
    "After 5 failed attempts an account is locked for 15 minutes."
)
DISABLED = "Signed out: account disabled. Ask an administrator if this is a mistake."
LOCKED = "This account is locked after repeated failed sign-ins. Try again in 15 minutes."
ENDED = "You have been signed out: you signed out elsewhere or your password was reset. Please sign in again."


def hash_password(password: str) -> str:
    """A bcrypt hash (cost from FT_BCRYPT_ROUNDS, default 12; the tests lower it for speed)."""
    rounds = config.bcrypt_rounds()
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """A hash of a random secret at the configured cost: checking an unknown username (or a
    locked one) against it takes as long as checking a real password."""
    return bcrypt.hashpw(secrets.token_bytes(24), bcrypt.gensalt(rounds)).decode("ascii")


def dummy_hash() -> str:
    return _dummy_hash(config.bcrypt_rounds())


def actor_from_user(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        name=user.name,
        role=user.role,
        service_area_id=user.service_area_id,
        session_generation=user.session_generation or 0,
        must_change_password=bool(user.must_change_password),
    )


def load_actor(username: str, uow: UnitOfWork) -> Actor | None:
    """The Actor for a signed-in username, or None if the account is missing or disabled."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        return actor_from_user(user)


def session_problem(actor: Actor, uow: UnitOfWork) -> str | None:
    """Checked on every run: why this session must end now (account disabled, or its session
    generation bumped by a sign-out, a password reset or a disable), or None."""
    with uow:
        row = uow.session.execute(
            select(User.active, User.session_generation).where(User.id == actor.user_id)
        ).first()
    if row is None or not row.active:
        return DISABLED
    if (row.session_generation or 0) != actor.session_generation:
        return ENDED
    return None


def end_sessions(user: User) -> None:
    """Every session and cookie of this user ends on its next action."""
    user.session_generation = (user.session_generation or 0) + 1


def _locked_since(failures: list[dt.datetime], now: dt.datetime) -> dt.datetime | None:
    """When the current lock started: the 5th of 5 failures within 15 minutes, if that was
    less than 15 minutes ago. Attempts refused while locked are not counted as failures,
    so the lock lasts 15 minutes from the 5th failure and then lifts."""
    failures = sorted(failures)
    for i in range(len(failures) - 1, MAX_FAILED_LOGINS - 2, -1):
        fifth, first = failures[i], failures[i - MAX_FAILED_LOGINS + 1]
        if fifth - first <= LOCKOUT_WINDOW and now - fifth < LOCKOUT_WINDOW:
            return fifth
    return None


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _locked(rows: Iterable[tuple[str, dt.datetime, bool]], now: dt.datetime) -> set[str]:
    """The usernames among (username, at, succeeded) rows, oldest first, locked out now."""
    failures: dict[str, list[dt.datetime]] = {}
    for username, at, succeeded in rows:
        if succeeded:
            failures.pop(username, None)  # a success clears earlier failures
        else:
            failures.setdefault(username, []).append(_aware(at))
    return {u for u, times in failures.items() if _locked_since(times, now) is not None}


def locked_usernames(uow: UnitOfWork, now: dt.datetime | None = None) -> set[str]:
    """Every username locked out now (one query over the last 30 minutes of attempts)."""
    now = _aware(now or utcnow())
    with uow:
        rows = uow.session.execute(
            select(LoginAttempt.username, LoginAttempt.at, LoginAttempt.succeeded)
            .where(LoginAttempt.at > now - 2 * LOCKOUT_WINDOW)
            .order_by(LoginAttempt.at, LoginAttempt.id)
        ).all()
    return _locked(rows, now)


def is_locked_out(username: str, uow: UnitOfWork, now: dt.datetime | None = None) -> bool:
    """Five failed logins within 15 minutes lock the username for 15 minutes."""
    return username in locked_usernames(uow, now)


def record_login_attempt(
    username: str, succeeded: bool, uow: UnitOfWork, now: dt.datetime | None = None
) -> None:
    """Keep the attempt for lock-out, and audit it; the attempt that locks the account is
    audited as `login_locked` too."""
    username = (username or "")[:60]
    with uow:
        uow.session.add(LoginAttempt(username=username, succeeded=succeeded, at=now or utcnow()))
        action = "login" if succeeded else "login_failed"
        uow.audit(None, action, entity_type="login", after={"username": username})
        uow.commit()
    if not succeeded and is_locked_out(username, uow, now):
        _audit_locked(username, uow)


def record_refused_login(username: str, uow: UnitOfWork) -> None:
    """An attempt on a locked-out username: refused and audited, but not counted as a new
    failure (so the lock is not extended)."""
    with uow:
        uow.audit(
            None, "login_refused_locked", entity_type="login", after={"username": (username or "")[:60]}
        )
        uow.commit()


def record_logout(actor: Actor, uow: UnitOfWork) -> None:
    """Audit a sign-out and end every session and sign-in cookie of the user (other tabs too)."""
    with uow:
        uow.session.execute(
            update(User)
            .where(User.id == actor.user_id)
            .values(session_generation=User.session_generation + 1)
        )
        uow.audit(actor, "logout", entity_type="login", after={"username": actor.username})
        uow.commit()


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in attempt: the Actor, or the message to show."""

    actor: Actor | None
    message: str = ""


def _reserve_attempt(username: str, uow: UnitOfWork, now: dt.datetime) -> tuple[int | None, str | None]:
    """Count this attempt before any password is checked: (attempt id, the user's hash or None
    if unknown or disabled), or (None, None) if the username is locked out now.

    The attempt row is written first and the earlier attempts read after it in the same
    transaction, under the user's row lock (PostgreSQL, SELECT ... FOR UPDATE) or SQLite's
    single writer lock, so parallel attempts are counted one after another."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username).with_for_update())
        attempt = LoginAttempt(username=username, succeeded=False, at=now)
        uow.session.add(attempt)
        uow.session.flush()
        rows = uow.session.execute(
            select(LoginAttempt.username, LoginAttempt.at, LoginAttempt.succeeded)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.id != attempt.id,
                LoginAttempt.at > now - 2 * LOCKOUT_WINDOW,
            )
            .order_by(LoginAttempt.at, LoginAttempt.id)
        ).all()
        if username in _locked(rows, now):
            return None, None  # rolled back: a refused attempt is not a failure
        uow.commit()
        return attempt.id, (user.password_hash if user is not None and user.active else None)


def attempt_sign_in(username: str, password: str, uow_factory, now: dt.datetime | None = None) -> SignIn:
    """Check a username and password from the sign-in form: at most five password checks per
    username in 15 minutes however many arrive at once, the same time for unknown usernames,
    every attempt audited. `uow_factory()` gives a new unit of work."""
    username = (username or "").strip().lower()[:60]
    now = _aware(now or utcnow())
    attempt_id, password_hash = _reserve_attempt(username, uow_factory(), now)
    if attempt_id is None:
        check_password(password or "", dummy_hash())  # the same time as any other answer
        record_refused_login(username, uow_factory())
        return SignIn(None, SIGN_IN_REFUSED)
    ok = check_password(password or "", password_hash or dummy_hash()) and password_hash is not None
    with uow_factory() as uow:
        if ok:
            uow.session.execute(
                update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(succeeded=True)
            )
        uow.audit(None, "login" if ok else "login_failed", entity_type="login", after={"username": username})
        uow.commit()
    if not ok:
        if is_locked_out(username, uow_factory(), now):
            _audit_locked(username, uow_factory())
        return SignIn(None, SIGN_IN_REFUSED)
    actor = load_actor(username, uow_factory())
    return SignIn(actor, "" if actor else SIGN_IN_REFUSED)


def _audit_locked(username: str, uow: UnitOfWork) -> None:
    with uow:
        uow.audit(
            None,
            "login_locked",
            entity_type="login",
            after={"username": username, "minutes": LOCKOUT_WINDOW.seconds // 60},
            reason=f"{MAX_FAILED_LOGINS} failed sign-ins within 15 minutes",
        )
        uow.commit()


def issue_cookie(actor: Actor, key: str, lifetime: dt.timedelta, now: dt.datetime | None = None) -> str:
    """A signed sign-in cookie (HS256) for this user and session generation, valid for
    `lifetime` (the idle limit; the app renews it while the user is active)."""
    expires = _aware(now or utcnow()) + lifetime
    return jwt.encode(
        {"sub": actor.username, "gen": actor.session_generation, "exp": int(expires.timestamp())},
        key,
        algorithm="HS256",
    )


def read_cookie(token: str, key: str) -> tuple[str, int] | None:
    """(username, session generation) from a sign-in cookie, or None if it is expired,
    tampered with, unsigned (`alg: none`), signed with another key or malformed."""
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub", "gen"]})
    except Exception:  # any bad cookie (PyJWT errors, odd types) is simply not a sign-in
        return None
    if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("gen"), int):
        return None
    return claims["sub"], claims["gen"]


def actor_from_cookie(token: str, key: str, uow_factory) -> tuple[Actor | None, str]:
    """Sign in from a cookie: (Actor, "") if it is valid for an active, unlocked user of the
    same session generation; else (None, the message to show, or "" for a bad cookie)."""
    claims = read_cookie(token, key)
    if claims is None:
        return None, ""
    username, generation = claims
    with uow_factory() as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            return None, ""
        if not user.active:
            return None, DISABLED
        if (user.session_generation or 0) != generation:
            return None, ENDED
        actor = actor_from_user(user)
    if is_locked_out(username, uow_factory()):
        return None, LOCKED
    with uow_factory() as uow:
        uow.audit(actor, "login", entity_type="login", after={"username": username, "via": "cookie"})
        uow.commit()
    return actor, ""


def forget_stored_cookie_key(uow: UnitOfWork) -> bool:
    """With FT_COOKIE_KEY set, remove a key an earlier run kept in the database (it would
    otherwise sit next to the data it protects). True if one was removed."""
    if not os.environ.get("FT_COOKIE_KEY", "").strip():
        return False
    with uow:
        # A DELETE statement returns a CursorResult (with rowcount); Session.execute is typed as Result.
        result = cast(
            CursorResult[Any], uow.session.execute(delete(AppSetting).where(AppSetting.key == "cookie_key"))
        )
        removed = result.rowcount
        uow.commit()
    return bool(removed)


def cookie_key(uow: UnitOfWork) -> str:
    """FT_COOKIE_KEY from the environment, else a random key generated once and kept in the
    database so every app process behind a load balancer shares it. Never an example value."""
    from_env = os.environ.get("FT_COOKIE_KEY", "").strip()
    if from_env:
        if from_env in EXAMPLE_COOKIE_KEYS or len(from_env) < 16:
            raise ConfigError(
                "FT_COOKIE_KEY is an example value or too short: "
                "set it to 16 or more random characters (or unset it)."
            )
        return from_env
    with uow:
        setting = uow.session.get(AppSetting, "cookie_key")
        if setting is not None:
            return setting.value
        uow.session.add(AppSetting(key="cookie_key", value=secrets.token_urlsafe(32)))
        try:
            uow.commit()
        except IntegrityError:  # another process generated it first: use theirs
            uow.session.rollback()
        return uow.session.get_one(AppSetting, "cookie_key").value


def demo_accounts_present(uow: UnitOfWork) -> bool:
    """True if any active demo account (published password) exists: the sign-in page warns,
    and the app refuses to start with FT_PRODUCTION=1."""
    from core.demo import DEMO_USERS

    with uow:
        found = uow.session.scalar(
            select(User.id)
            .where(
                User.active.is_(True),
                User.username.in_([u[0] for u in DEMO_USERS]),
                User.email.like("%@nph.example"),
            )
            .limit(1)
        )
    return found is not None
