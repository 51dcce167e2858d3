"""The SPOC requests and the central SPOC register (read models)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import RegisterStatus, channel_labels
from core.models import (
    Case, ServiceArea, SpocEntry,
    SpocRequest,
)
from core.permissions import Actor, Permission, require
from core.policy import registers as rules
from core.services.registers._common import (
    STATUS_FILTERS, _today, _excerpt, _user_names, _matches,
)


def spoc_requests(actor: Actor, uow: UnitOfWork, status: str = "pending") -> list[dict]:
    """SPOC requests with their reasons, evidence and decisions (rejected ones keep their reasons)."""
    require(actor, Permission.VIEW_REGISTERS)
    with uow:
        requests = uow.session.scalars(select(SpocRequest).order_by(SpocRequest.requested_at)).all()
        names = _user_names(uow, {r.requested_by_id for r in requests} | {r.decided_by_id for r in requests})
        rows = []
        for r in requests:
            if status != "all" and r.status.value != status:
                continue
            rows.append({
                "request_id": r.id, "case_id": r.case_id, "customer_id": r.customer_id,
                "customer": r.customer.full_name, "housing_ref": r.customer.housing_ref,
                "requested_by": names.get(r.requested_by_id, ""), "requested_on": r.requested_at.date(),
                "reason": r.reason, "status": r.status.label,
                "evidence": [{"id": i.id, "occurred_on": i.occurred_at.date(), "category": i.category.label,
                              "summary": _excerpt(i.description, 100)} for i in r.evidence],
                "meeting_on": r.meeting_on, "attendees": r.attendees, "discussion": r.discussion,
                "decision_reason": r.decision_reason, "decided_by": names.get(r.decided_by_id, ""),
            })
        return rows


def spoc_register(actor: Actor, uow: UnitOfWork, status: str = "active",
                  service_area_id: Optional[int] = None, today: Optional[dt.date] = None) -> list[dict]:
    """The central SPOC register: active, due for review (next 30 days), overdue, ended, or all."""
    require(actor, Permission.VIEW_REGISTERS)
    today = _today(today)
    if status not in STATUS_FILTERS:
        _matches(status, False, "", RegisterStatus.ACTIVE)
    with uow:
        stmt = (select(SpocEntry, Case.service_area_id, ServiceArea.name)
                .join(Case, Case.id == SpocEntry.case_id)
                .join(ServiceArea, ServiceArea.id == Case.service_area_id))
        if service_area_id:
            stmt = stmt.where(Case.service_area_id == service_area_id)
        rows = uow.session.execute(stmt.order_by(SpocEntry.review_due, SpocEntry.id)).all()
        names = _user_names(uow, {e.spoc_user_id for e, _, _ in rows})
        out = []
        for entry, _area_id, area in rows:
            active = entry.status == RegisterStatus.ACTIVE
            state = rules.review_state(entry.review_due, today, active=active)
            if not _matches(status, active, state, entry.status):
                continue
            out.append({
                "entry_id": entry.id, "customer_id": entry.customer_id, "customer": entry.customer.full_name,
                "housing_ref": entry.customer.housing_ref, "case_id": entry.case_id, "service_area": area,
                "spoc_officer": names.get(entry.spoc_user_id, ""), "channels": ", ".join(channel_labels(entry.channels)),
                "contact_times": entry.contact_times, "contact_limit": entry.contact_limit,
                "terms": entry.terms, "starts_on": entry.starts_on, "review_due": entry.review_due,
                "status": entry.status.label, "review_state": rules.REVIEW_STATE_LABELS[state],
                "ended_on": entry.ended_on, "ended_reason": entry.ended_reason,
            })
        return out
