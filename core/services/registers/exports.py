"""Reviews due on both registers (feeds the monitoring charts) and register exports."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.errors import PolicyError
from core.models import (
    PvpEntry, SpocEntry,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    RED_FLAG_COLUMNS, _today,
)
from core.services.registers.pvp_lists import pvp_register, red_flag_export
from core.services.registers.spoc_lists import spoc_register


def reviews_due(actor: Actor, uow: UnitOfWork, today: Optional[dt.date] = None) -> dict[str, dict[str, int]]:
    """Counts of live entries whose review is overdue or due in the next 30 days, per register."""
    if not actor.can(Permission.VIEW_MONITORING):
        require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    with uow:
        result = {}
        for name, model in (("spoc", SpocEntry), ("pvp", PvpEntry)):
            dues = uow.session.scalars(select(model.review_due).where(model.status == RegisterStatus.ACTIVE)).all()
            states = [rules.review_state(d, today) for d in dues]
            result[name] = {"active": len(states), "overdue": states.count(rules.OVERDUE),
                            "due_soon": states.count(rules.DUE_SOON)}
        return result


EXPORTABLE = {
    "spoc_register": "SPOC register",
    "pvp_register": "PVP register",
    "red_flags": "Red-flag list for the housing management system",
}


def export_register(actor: Actor, register: str, fmt: str, uow_factory, *,
                    status: str = "all", service_area_id: Optional[int] = None,
                    today: Optional[dt.date] = None) -> tuple[str, bytes, str]:
    """A register as CSV or Excel, with spreadsheet formulas neutralised; the export is
    recorded in the audit log. `uow_factory()` gives a fresh unit of work per step.
    Returns (file name, bytes, MIME type)."""
    from core import exports

    if register == "spoc_register":
        rows = spoc_register(actor, uow_factory(), status=status, service_area_id=service_area_id, today=today)
        permission = Permission.VIEW_REGISTERS
    elif register == "pvp_register":
        rows = pvp_register(actor, uow_factory(), status=status, today=today)
        permission = Permission.VIEW_REGISTERS
    elif register == "red_flags":
        rows = red_flag_export(actor, uow_factory())
        permission = Permission.MANAGE_PVP_REGISTER
    else:
        raise PolicyError(f"Unknown register {register!r}.")
    columns = list(RED_FLAG_COLUMNS) if register == "red_flags" else None
    return exports.export(actor, register, rows, fmt, uow_factory(), permission=permission, today=today,
                          columns=columns, filters={"status": status, "service_area_id": service_area_id}
                          if register != "red_flags" else {})
