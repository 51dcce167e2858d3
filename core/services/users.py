"""Administrator use cases: service areas and user accounts (all audited)."""

from __future__ import annotations

import functools
import re
import secrets
from pathlib import Path

from sqlalchemy import select

from core.auth import check_password, end_sessions, hash_password
from core.db import UnitOfWork, snapshot
from core.enums import Role
from core.errors import NotFound, PolicyError
from core.models import User
from core.permissions import Actor, Permission, require
from core.services import areas
from core.services.areas import ServiceAreaRow
from core.validation import clean_line, parse_enum

MIN_PASSWORD = 12  # NCSC: length and a deny list, no composition rules
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer passwords are refused, not truncated
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "common_passwords.txt"
_ADDED_AT_THE_END = "0123456789!@#$%^&*()_+-=.,?;:~ "


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The deny list shipped in core/common_passwords.txt, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """On the deny list, ignoring case and digits or symbols added at the end
    ("Password1234!" is "password")."""
    lowered = password.lower().strip()
    common = common_passwords()
    return lowered in common or lowered.rstrip(_ADDED_AT_THE_END) in common


def _check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise PolicyError(f"Password must be at least {MIN_PASSWORD} characters.")
    if is_common_password(password):
        raise PolicyError(
            "This password is one of the most commonly used passwords: choose another "
            "(a few unrelated words make a strong password)."
        )
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:
        raise PolicyError("Password contains characters that cannot be stored; please retype it.") from None
    if size > MAX_PASSWORD_BYTES:
        raise PolicyError(
            f"Password must be at most {MAX_PASSWORD_BYTES} bytes "
            "(about 70 letters; fewer with accents or emoji)."
        )


def list_users(actor: Actor, uow: UnitOfWork) -> list[dict]:
    require(actor, Permission.MANAGE_USERS)
    with uow:
        users = uow.session.scalars(select(User).order_by(User.username)).all()
        return [
            {
                "id": u.id,
                "username": u.username,
                "name": u.name,
                "role": u.role.label,
                "service_area": u.service_area.name if u.service_area else "",
                "active": u.active,
            }
            for u in users
        ]


def list_service_areas(uow: UnitOfWork) -> list[ServiceAreaRow]:
    """Reference data any signed-in user may read (names only)."""
    return areas.service_areas(None, uow)


def add_user(
    actor: Actor,
    username: str,
    name: str,
    role: str,
    password: str,
    uow: UnitOfWork,
    service_area_id: int | None = None,
    email: str = "",
) -> int:
    require(actor, Permission.MANAGE_USERS)
    username = clean_line(username, "Username", required=True, max_len=60).lower()
    if not USERNAME.fullmatch(username):
        raise PolicyError(
            "Username: use 2 to 60 letters a-z, digits, dots, hyphens or underscores, "
            "starting with a letter or digit (e.g. j.smith)."
        )
    name = clean_line(name, "Name", required=True, max_len=120)
    role = parse_enum(Role, role, "Role")
    _check_password_strength(password)
    with uow:
        if uow.session.scalar(select(User).where(User.username == username)):
            raise PolicyError(f"The username {username!r} is already taken.")
        user = User(
            username=username,
            name=name,
            role=role,
            email=clean_line(email, "Email"),
            password_hash=hash_password(password),
            service_area_id=service_area_id,
        )
        uow.session.add(user)
        uow.session.flush()
        after = {k: v for k, v in snapshot(user).items() if k != "password_hash"}
        uow.audit(actor, "add_user", user, after=after)
        uow.commit()
        return user.id


def _get_user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def reset_password(actor: Actor, user_id: int, new_password: str, uow: UnitOfWork) -> None:
    require(actor, Permission.MANAGE_USERS)
    _check_password_strength(new_password)
    with uow:
        user = _get_user(uow, user_id)
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        end_sessions(user)  # every open session and cookie of the user ends
        uow.audit(actor, "reset_password", user, after={"password": "reset"})
        uow.commit()


def set_user_active(actor: Actor, user_id: int, active: bool, reason: str, uow: UnitOfWork) -> None:
    require(actor, Permission.MANAGE_USERS)
    reason = clean_line(reason, "Reason", required=True)
    with uow:
        user = _get_user(uow, user_id)
        if user.id == actor.user_id and not active:
            raise PolicyError("You cannot disable your own account.")
        before = {"active": user.active}
        user.active = active
        if not active:
            end_sessions(user)  # open tabs are signed out on their next action
        uow.audit(
            actor,
            "enable_user" if active else "disable_user",
            user,
            before=before,
            after={"active": active},
            reason=reason,
        )
        uow.commit()


def change_own_password(actor: Actor, current: str, new_password: str, uow: UnitOfWork) -> None:
    """A signed-in user replaces their password (required after a one-time password). Other
    sessions of the user end; this one continues with the new session generation."""
    if actor is None:
        raise PolicyError("Please sign in.")
    _check_password_strength(new_password)
    if new_password == current:
        raise PolicyError("Choose a password different from the current one.")
    with uow:
        user = _get_user(uow, actor.user_id)
        if not user.active or not check_password(current or "", user.password_hash):
            raise PolicyError("The current password is not correct.")
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        end_sessions(user)
        uow.audit(actor, "change_password", user, after={"password": "changed"})
        uow.commit()


def create_first_administrator(username: str, email: str, uow: UnitOfWork) -> str:
    """The first administrator for a production database (db.setup --admin): a one-time
    password, returned once to print, that must be changed at the first sign-in. Refused if
    any administrator exists already. No actor: this runs from the command line, before anyone
    can sign in."""
    username = clean_line(username, "Username", required=True, max_len=60).lower()
    if not USERNAME.fullmatch(username):
        raise PolicyError("Username: use 2 to 60 letters a-z, digits, dots, hyphens or underscores.")
    password = secrets.token_urlsafe(15)  # 20 characters, about 120 bits
    with uow:
        if uow.session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None:
            raise PolicyError("An administrator exists already: sign in as them to add users.")
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise PolicyError(f"The username {username!r} is already taken.")
        user = User(
            username=username,
            name="Administrator",
            role=Role.ADMIN,
            email=clean_line(email, "Email", max_len=200),
            password_hash=hash_password(password),
            must_change_password=True,
        )
        uow.session.add(user)
        uow.session.flush()
        uow.audit(
            None,
            "add_user",
            user,
            after={"username": username, "role": Role.ADMIN.value, "one_time_password": True},
        )
        uow.commit()
    return password
