"""The "My work" home page (issue 15): what the signed-in person must do, most urgent first.

Each kind of work is one SQL query with a LIMIT and its total counted in the same query
(`_rows.run_kind`); `leader.py` holds a team leader / manager's kinds, `officers.py` the
Assistant Director's, the DMO's, the H&S Well-being Officer's and the administrator's.
"""

from __future__ import annotations

import datetime as dt

from core import auth
from core.db import UnitOfWork
from core.enums import Role
from core.permissions import Actor, Permission, require
from core.services.work._rows import LIST_LIMIT, Kind, MyWork, WorkItem, WorkLine, run_kind
from core.services.work.leader import LEADER_KINDS
from core.services.work.officers import AD_KINDS, ADMIN_KINDS, DMO_KINDS, HSW_KINDS

KINDS_BY_ROLE: dict[Role, tuple[Kind, ...]] = {
    Role.TEAM_LEADER: LEADER_KINDS,
    Role.ASSISTANT_DIRECTOR: AD_KINDS,
    Role.DMO: DMO_KINDS,
    Role.HSW_OFFICER: HSW_KINDS,
    Role.ADMIN: ADMIN_KINDS,
}

__all__ = ["LIST_LIMIT", "MyWork", "WorkItem", "WorkLine", "my_work", "work_count", "KINDS_BY_ROLE"]


def my_work(actor: Actor, uow: UnitOfWork, today: dt.date | None = None, limit: int = LIST_LIMIT) -> MyWork:
    """Every kind of work for the actor's role, each with its count and first `limit` items;
    kinds with something to do first, in the role's order of urgency."""
    require(actor, Permission.VIEW_MY_WORK)
    today = today or dt.date.today()
    limit = max(1, min(int(limit), 200))
    with uow:
        lines = [
            run_kind(uow.session, actor, kind, today, limit) for kind in KINDS_BY_ROLE.get(actor.role, ())
        ]
    if actor.role == Role.ADMIN:
        lines.insert(0, _locked_accounts(uow, limit))
    return MyWork(tuple(lines))


def work_count(actor: Actor, uow: UnitOfWork, today: dt.date | None = None) -> int:
    """How many things the actor has to do in all: the navigation badge."""
    if not actor.can(Permission.VIEW_MY_WORK):
        return 0
    return my_work(actor, uow, today, limit=1).total


def _locked_accounts(uow: UnitOfWork, limit: int) -> WorkLine:
    """Accounts locked after repeated failed sign-ins: the lock-out rule lives in core.auth."""
    locked = sorted(auth.locked_usernames(UnitOfWork(uow.url)))
    items = tuple(
        WorkItem(
            kind="locked_accounts",
            ref_id=0,
            title=f"User {name}",
            detail="Locked for 15 minutes",
            due_on=None,
            since=None,
            overdue_days=0,
            due_text="",
            page="pages/users.py",
        )
        for name in locked[:limit]
    )
    return WorkLine("locked_accounts", "Locked accounts", len(locked), 0, items)
