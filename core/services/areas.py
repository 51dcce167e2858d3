"""The service areas (reference data), listed in one place for every page's filter or picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.db import UnitOfWork
from core.models import ServiceArea
from core.permissions import Actor, Permission, require


@dataclass(frozen=True)
class ServiceAreaRow:
    id: int
    name: str

    def __getitem__(self, key: str) -> Any:
        """For callers that still read a row as a dict (`row["name"]`); use the attributes."""
        return getattr(self, key)


def service_areas(
    actor: Actor | None, uow: UnitOfWork, permission: Permission | None = None
) -> list[ServiceAreaRow]:
    """Every service area by name. Names only, so any signed-in user may read them; a caller
    that lists them for a protected page passes that page's permission."""
    if permission is not None:
        # require() refuses a signed-out caller (None) too, but is typed for an Actor only.
        require(actor, permission)  # type: ignore[arg-type]
    with uow:
        rows = uow.session.execute(select(ServiceArea.id, ServiceArea.name).order_by(ServiceArea.name))
        return [ServiceAreaRow(area_id, name) for area_id, name in rows]
