"""Administrator use cases: service areas and user accounts (all audited)."""
from __future__ import annotations

import re
from typing import Optional

from sqlalchemy import select

from core.auth import hash_password
from core.db import UnitOfWork, snapshot
from core.enums import Role
from core.errors import NotFound, PolicyError
from core.models import User
from core.permissions import Actor, Permission, require
from core.services import areas
from core.services.areas import ServiceAreaRow
from core.validation import clean_line, parse_enum

MIN_PASSWORD = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
MAX_PASSWORD_BYTES = 72      # bcrypt's limit; longer passwords are refused, not truncated


def _check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise PolicyError(f"Password must be at least {MIN_PASSWORD} characters.")
    try:
        size = len(password.encode("utf-8"))
    except UnicodeEncodeError:
        raise PolicyError("Password contains characters that cannot be stored; please retype it.") from None
    if size > MAX_PASSWORD_BYTES:
        raise PolicyError(f"Password must be at most {MAX_PASSWORD_BYTES} bytes "
                          "(about 70 letters; fewer with accents or emoji).")


def list_users(actor: Actor, uow: UnitOfWork) -> list[dict]:
    require(actor, Permission.MANAGE_USERS)
    with uow:
        users = uow.session.scalars(select(User).order_by(User.username)).all()
        return [{"id": u.id, "username": u.username, "name": u.name, "role": u.role.label,
                 "service_area": u.service_area.name if u.service_area else "",
                 "active": u.active} for u in users]


def list_service_areas(uow: UnitOfWork) -> list[ServiceAreaRow]:
    """Reference data any signed-in user may read (names only)."""
    return areas.service_areas(None, uow)


def add_user(actor: Actor, username: str, name: str, role: str, password: str,
             uow: UnitOfWork, service_area_id: Optional[int] = None, email: str = "") -> int:
    require(actor, Permission.MANAGE_USERS)
    username = clean_line(username, "Username", required=True, max_len=60).lower()
    if not USERNAME.fullmatch(username):
        raise PolicyError("Username: use 2 to 60 letters a-z, digits, dots, hyphens or underscores, "
                          "starting with a letter or digit (e.g. j.smith).")
    name = clean_line(name, "Name", required=True, max_len=120)
    role = parse_enum(Role, role, "Role")
    _check_password_strength(password)
    with uow:
        if uow.session.scalar(select(User).where(User.username == username)):
            raise PolicyError(f"The username {username!r} is already taken.")
        user = User(username=username, name=name, role=role, email=clean_line(email, "Email"),
                    password_hash=hash_password(password), service_area_id=service_area_id)
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
        uow.audit(actor, "enable_user" if active else "disable_user", user,
                  before=before, after={"active": active}, reason=reason)
        uow.commit()
