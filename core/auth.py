"""Passwords, login lock-out, the login cookie key and turning a signed-in username into an Actor.

streamlit-authenticator checks the password in the page; this module gives it the
credentials (bcrypt hashes of active, not locked-out users) from the database.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from typing import Any, Optional

import bcrypt
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import UnitOfWork
from core.models import AppSetting, LoginAttempt, User, utcnow
from core.permissions import Actor

MAX_FAILED_LOGINS = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
EXAMPLE_COOKIE_KEYS = {"", "some_key", "some_signature_key", "abcdef", "changeme"}
COOKIE_NAME = "fair_treatment_auth"


def hash_password(password: str) -> str:
    """A bcrypt hash (cost from FT_BCRYPT_ROUNDS, default 12; the tests lower it for speed)."""
    rounds = int(os.environ.get("FT_BCRYPT_ROUNDS", "12"))
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


def is_locked_out(username: str, uow: UnitOfWork, now: Optional[dt.datetime] = None) -> bool:
    """Five failed logins within 15 minutes lock the username for 15 minutes."""
    now = now or utcnow()
    with uow:
        since = now - LOCKOUT_WINDOW
        last_success = uow.session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)))
        if last_success is not None and last_success > since:
            since = last_success
        failures = uow.session.scalar(
            select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.username == username, LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > since))
        return failures >= MAX_FAILED_LOGINS


def record_login_attempt(username: str, succeeded: bool, uow: UnitOfWork) -> None:
    with uow:
        username = (username or "")[:60]
        uow.session.add(LoginAttempt(username=username, succeeded=succeeded))
        action = "login" if succeeded else "login_failed"
        uow.audit(None, action, entity_type="login", after={"username": username})
        uow.commit()


def authenticator_credentials(uow: UnitOfWork, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Active users in the shape streamlit-authenticator expects; `exclude` drops locked users."""
    with uow:
        users = uow.session.scalars(select(User).where(User.active.is_(True))).all()
        return {"usernames": {
            u.username: {"name": u.name, "email": u.email or f"{u.username}@example.invalid",
                         "password": u.password_hash, "roles": [u.role.value]}
            for u in users if u.username not in exclude
        }}


def cookie_key(uow: UnitOfWork) -> str:
    """FT_COOKIE_KEY from the environment, else a random key generated once and kept in the
    database so every app process behind a load balancer shares it. Never an example value."""
    from_env = os.environ.get("FT_COOKIE_KEY", "").strip()
    if from_env:
        if from_env in EXAMPLE_COOKIE_KEYS or len(from_env) < 16:
            raise ValueError("FT_COOKIE_KEY is an example or too short: use 16+ random characters.")
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
