"""Summary tables kept by the database itself (triggers in migration 0003), read by monitoring.

`incident_daily` holds, per UTC day of `incident.occurred_at`, service area and incident
category: the number of incidents (behaviour = '') and, for each behaviour recorded on those
incidents, the number of incidents with that behaviour. Triggers on `incident` and
`incident_behaviour` (insert, update, delete) keep it exact whatever writes the rows (services,
erasure, retention deletion, the demo bulk load); rows that fall to zero are deleted. It holds
no customer ids or free text, so it is not personal data and is not in a subject access pack.
Never write to it from the application.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base

NO_BEHAVIOUR = ""  # the row counting the incidents themselves


class IncidentDaily(Base):
    __tablename__ = "incident_daily"

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    service_area_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    behaviour: Mapped[str] = mapped_column(String(40), primary_key=True)
    incidents: Mapped[int]
