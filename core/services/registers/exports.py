"""Reviews due on both registers (feeds the monitoring charts) and register exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from core import exports
from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.errors import PolicyError
from core.models import PvpEntry, SpocEntry
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import MAX_PAGE_SIZE, RED_FLAG_COLUMNS, Page, _today
from core.services.registers.pvp_lists import pvp_register, red_flag_export
from core.services.registers.spoc_lists import spoc_register

EXPORTABLE = {
    "spoc_register": "SPOC register",
    "pvp_register": "PVP register",
    "red_flags": "Red-flag list for the housing management system",
}


@dataclass(frozen=True)
class DueCounts:
    active: int
    overdue: int
    due_soon: int


@dataclass(frozen=True)
class ReviewsDue:
    spoc: DueCounts
    pvp: DueCounts


def reviews_due(actor: Actor, uow: UnitOfWork, today: dt.date | None = None) -> ReviewsDue:
    """Counts of live entries whose review is overdue or due in the next 30 days, per register
    (one aggregate query each)."""
    if not actor.can(Permission.VIEW_MONITORING):
        require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    with uow:
        return ReviewsDue(spoc=_due_counts(uow, SpocEntry, today), pvp=_due_counts(uow, PvpEntry, today))


def _due_counts(uow: UnitOfWork, model, today: dt.date) -> DueCounts:
    overdue = case((model.review_due < today, 1), else_=0)
    soon = case(
        (and_(model.review_due >= today, model.review_due <= rules.due_soon_until(today)), 1), else_=0
    )
    active, late, due = uow.session.execute(
        select(
            func.count(model.id), func.coalesce(func.sum(overdue), 0), func.coalesce(func.sum(soon), 0)
        ).where(model.status == RegisterStatus.ACTIVE)
    ).one()
    return DueCounts(active=int(active), overdue=int(late), due_soon=int(due))


def _every_row(fetch: Callable[[tuple | None], Page]) -> list:
    """All the rows of a paged list, page by page (for an export file)."""
    rows, after = [], None
    while True:
        page = fetch(after)
        rows.extend(page.rows)
        if page.next_after is None:
            return rows
        after = page.next_after


def export_register(
    actor: Actor,
    register: str,
    fmt: str,
    uow_factory,
    *,
    status: str = "all",
    service_area_id: int | None = None,
    today: dt.date | None = None,
) -> tuple[str, bytes, str]:
    """A register as CSV or Excel, with spreadsheet formulas neutralised; the export is
    recorded in the audit log. `uow_factory()` gives a fresh unit of work per step.
    Returns (file name, bytes, MIME type)."""
    if register == "spoc_register":
        rows = _every_row(
            lambda after: spoc_register(
                actor,
                uow_factory(),
                status=status,
                service_area_id=service_area_id,
                today=today,
                after=after,
                limit=MAX_PAGE_SIZE,
            )
        )
        permission = Permission.VIEW_REGISTERS
    elif register == "pvp_register":
        rows = _every_row(
            lambda after: pvp_register(
                actor, uow_factory(), status=status, today=today, after=after, limit=MAX_PAGE_SIZE
            )
        )
        permission = Permission.VIEW_REGISTERS
    elif register == "red_flags":
        rows = red_flag_export(actor, uow_factory())
        permission = Permission.MANAGE_PVP_REGISTER
    else:
        raise PolicyError(f"Unknown register {register!r}.")
    columns = list(RED_FLAG_COLUMNS) if register == "red_flags" else None
    return exports.export(
        actor,
        register,
        rows,
        fmt,
        uow_factory(),
        permission=permission,
        today=today,
        columns=columns,
        filters={"status": status, "service_area_id": service_area_id} if register != "red_flags" else {},
    )
