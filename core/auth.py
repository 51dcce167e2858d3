"""Passwords, login lock-out, the login cookie key and turning a signed-in username into an Actor.

streamlit-authenticator checks the password in the page; this module gives it the
credentials (bcrypt hashes of active, not locked-out users) from the database.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any, Iterable, Optional

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import config
from core.db import UnitOfWork
from core.errors import ConfigError
from core.models import AppSetting, AuditEntry, LoginAttempt, User, utcnow
from core.permissions import Actor

MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
EXAMPLE_COOKIE_KEYS = {"", "some_key", "some_signature_key", "abcdef", "changeme", "random_signature_key",
                       "your-secret-key", "secret", "example", "cookie_key", "change-me-to-a-long-random-string"}
COOKIE_NAME = "fair_treatment_auth"
# A bcrypt hash of a random secret nobody knows: a locked account's password never matches.
_NEVER_MATCHES = bcrypt.hashpw(secrets.token_bytes(24), bcrypt.gensalt(4)).decode("ascii")


def hash_password(password: str) -> str:
    """A bcrypt hash (cost from FT_BCRYPT_ROUNDS, default 12; the tests lower it for speed)."""
    rounds = config.bcrypt_rounds()
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


def actor_from_user(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, name=user.name, role=user.role,
                 service_area_id=user.service_area_id)


def load_actor(username: str, uow: UnitOfWork) -> Optional[Actor]:
    """The Actor for a signed-in username, or None if the account is missing or disabled."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        return actor_from_user(user)


def _locked_since(failures: list[dt.datetime], now: dt.datetime) -> Optional[dt.datetime]:
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
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def locked_usernames(uow: UnitOfWork, now: Optional[dt.datetime] = None) -> set[str]:
    """Every username locked out now (one query over the last 30 minutes of attempts)."""
    now = _aware(now or utcnow())
    with uow:
        rows = uow.session.execute(
            select(LoginAttempt.username, LoginAttempt.at, LoginAttempt.succeeded)
            .where(LoginAttempt.at > now - 2 * LOCKOUT_WINDOW)
            .order_by(LoginAttempt.at, LoginAttempt.id)).all()
    failures: dict[str, list[dt.datetime]] = {}
    for username, at, succeeded in rows:
        if succeeded:
            failures.pop(username, None)        # a success clears earlier failures
        else:
            failures.setdefault(username, []).append(_aware(at))
    return {u for u, times in failures.items() if _locked_since(times, now) is not None}


def is_locked_out(username: str, uow: UnitOfWork, now: Optional[dt.datetime] = None) -> bool:
    """Five failed logins within 15 minutes lock the username for 15 minutes."""
    return username in locked_usernames(uow, now)


def record_login_attempt(username: str, succeeded: bool, uow: UnitOfWork,
                         now: Optional[dt.datetime] = None) -> None:
    """Keep the attempt for lock-out, and audit it; the attempt that locks the account is
    audited as `login_locked` too."""
    username = (username or "")[:60]
    with uow:
        uow.session.add(LoginAttempt(username=username, succeeded=succeeded,
                                     at=now or utcnow()))
        action = "login" if succeeded else "login_failed"
        uow.audit(None, action, entity_type="login", after={"username": username})
        uow.commit()
    if not succeeded and is_locked_out(username, uow, now):
        with uow:
            uow.audit(None, "login_locked", entity_type="login",
                      after={"username": username, "minutes": LOCKOUT_WINDOW.seconds // 60},
                      reason=f"{MAX_FAILED_LOGINS} failed sign-ins within 15 minutes")
            uow.commit()


def record_refused_login(username: str, uow: UnitOfWork) -> None:
    """An attempt on a locked-out username: refused and audited, but not counted as a new
    failure (so the lock is not extended)."""
    with uow:
        uow.audit(None, "login_refused_locked", entity_type="login",
                  after={"username": (username or "")[:60]})
        uow.commit()


def record_logout(actor: Actor, uow: UnitOfWork) -> None:
    """Audit a sign-out; it also revokes every sign-in cookie issued to the user before it."""
    with uow:
        uow.audit(actor, "logout", entity_type="login", after={"username": actor.username})
        uow.commit()


def cookie_revoked(username: str, expires_at: float, lifetime: dt.timedelta, uow: UnitOfWork) -> bool:
    """True if the user signed out after this sign-in cookie was issued (issued = its expiry
    time minus its lifetime). Sign-out is enforced here, on the server, so it holds even if the
    browser never deleted the cookie."""
    issued = dt.datetime.fromtimestamp(float(expires_at), tz=dt.timezone.utc) - lifetime
    with uow:
        last = uow.session.scalar(select(func.max(AuditEntry.at)).where(
            AuditEntry.action == "logout", AuditEntry.username == username))
    return last is not None and _aware(last) > issued


def authenticator_credentials(uow: UnitOfWork, locked: Iterable[str] = ()) -> dict[str, Any]:
    """Active users in the shape streamlit-authenticator expects. A `locked` user keeps an
    entry (so the attempt is seen and logged) with a hash no password matches."""
    locked = set(locked)
    with uow:
        users = uow.session.scalars(select(User).where(User.active.is_(True))).all()
        return {"usernames": {
            u.username: {"name": u.name, "email": u.email or f"{u.username}@example.invalid",
                         "password": _NEVER_MATCHES if u.username in locked else u.password_hash,
                         "roles": [u.role.value]}
            for u in users
        }}


def cookie_key(uow: UnitOfWork) -> str:
    """FT_COOKIE_KEY from the environment, else a random key generated once and kept in the
    database so every app process behind a load balancer shares it. Never an example value."""
    from_env = os.environ.get("FT_COOKIE_KEY", "").strip()
    if from_env:
        if from_env in EXAMPLE_COOKIE_KEYS or len(from_env) < 16:
            raise ConfigError("FT_COOKIE_KEY is an example value or too short: "
                              "set it to 16 or more random characters (or unset it).")
        return from_env
    with uow:
        setting = uow.session.get(AppSetting, "cookie_key")
        if setting is not None:
            return setting.value
        uow.session.add(AppSetting(key="cookie_key", value=secrets.token_urlsafe(32)))
        try:
            uow.commit()
        except IntegrityError:          # another process generated it first: use theirs
            uow.session.rollback()
        return uow.session.get(AppSetting, "cookie_key").value
