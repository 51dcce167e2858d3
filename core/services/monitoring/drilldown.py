"""Monitoring drill-down: the cases behind one bar of a chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    Behaviour,
    Category,
    RegisterStatus,
    Stage,
)
from core.models import (
    Appeal,
    Case,
    Customer,
    FormalAction,
    Incident,
    IncidentBehaviour,
    PvpEntry,
    ServiceArea,
    SpocEntry,
)
from core.permissions import Actor, Permission, require
from core.policy.deadlines import add_months
from core.services.monitoring._common import (
    DRILL_DOWN_LIMIT,
    REVIEW_TYPES,
    Filters,
    _case_conds,
    _count,
    _incident_conds,
)

# ---------------------------------------------------------------- drill-down

DRILL_KINDS = ("category", "behaviour", "month", "stage", "overdue_review", "appeal_overdue", "service_area")


def _incident_match(filters: Filters, kind: str, value: str) -> list:
    """Conditions for a case having an incident in the period matching one incident-based bar."""
    conds = [Incident.case_id == Case.id, *_incident_conds(filters)]
    if kind == "category":
        conds.append(Incident.category == Category(value))
    elif kind == "behaviour":
        conds.append(
            exists().where(
                IncidentBehaviour.incident_id == Incident.id,
                IncidentBehaviour.behaviour == Behaviour(value),
            )
        )
    elif kind == "month":
        year, month = (int(p) for p in value.split("-"))
        first = dt.date(year, month, 1)
        conds += [
            Incident.occurred_at >= dt.datetime.combine(first, dt.time(), dt.UTC),
            Incident.occurred_at < dt.datetime.combine(add_months(first, 1), dt.time(), dt.UTC),
        ]
    else:
        conds.append(Incident.service_area_id.in_(select(ServiceArea.id).where(ServiceArea.name == value)))
    return conds


def _drill_where(filters: Filters, kind: str, value: str, today: dt.date) -> list[ColumnElement[bool]]:
    """The WHERE conditions on Case for one drill-down kind and value."""
    case_conds = _case_conds(filters)
    if kind in ("category", "behaviour", "month", "service_area"):
        return [exists().where(*_incident_match(filters, kind, value))]
    if kind == "stage":
        return [Case.stage == Stage(value), *case_conds]
    if kind == "overdue_review":
        if value not in REVIEW_TYPES:
            raise ValueError(f"Unknown review type {value!r}")
        return [*case_conds, _overdue_condition(value, today)]
    return [
        *case_conds,
        exists().where(Appeal.case_id == Case.id, Appeal.decided_on.is_(None), Appeal.due_on < today),
    ]


def _drill_rows(s: Session, where: list[ColumnElement[bool]], limit: int) -> dict[str, Any]:
    base = (
        select(
            Case.id,
            Case.customer_id,
            Customer.first_name,
            Customer.last_name,
            Customer.housing_ref,
            Case.stage,
            ServiceArea.name,
        )
        .join(Customer, Customer.id == Case.customer_id)
        .join(ServiceArea, ServiceArea.id == Case.service_area_id)
        .where(*where)
    )
    total = _count(s, select(func.count()).select_from(base.subquery()))
    rows = s.execute(base.order_by(Case.id.desc()).limit(limit)).all()
    return {
        "total": total,
        "limited": total > len(rows),
        "rows": [
            {
                "case_id": cid,
                "customer_id": cust,
                "customer": f"{first} {last}".strip(),
                "housing_ref": ref,
                "stage": Stage(st).label,
                "service_area": area,
            }
            for cid, cust, first, last, ref, st, area in rows
        ],
    }


def drill_down(
    actor: Actor,
    filters: Filters,
    kind: str,
    value: str,
    uow: UnitOfWork,
    today: dt.date | None = None,
    limit: int = DRILL_DOWN_LIMIT,
) -> dict[str, Any]:
    """The cases behind one bar: {"rows": [...], "total": n, "limited": bool}.

    kind: category / behaviour / month ('YYYY-MM') / service_area (name): cases with a matching
    incident in the period; stage: open cases at that stage; overdue_review: cases with an
    overdue review of that type (Warning, Formal action, SPOC, PVP); appeal_overdue: cases with
    an appeal past its 5-working-day decision date.
    """
    require(actor, Permission.VIEW_MONITORING)
    require(actor, Permission.VIEW_CASES)
    today = today or dt.date.today()
    if kind not in DRILL_KINDS:
        raise ValueError(f"Unknown drill-down {kind!r}")
    with uow:
        return _drill_rows(uow.session, _drill_where(filters, kind, value, today), limit)


def _overdue_condition(review_type: str, today: dt.date):
    if review_type == "Warning":
        return and_(Case.stage == Stage.WARNING, Case.warning_review_due < today)
    if review_type == "Formal action":
        return exists().where(
            FormalAction.case_id == Case.id,
            FormalAction.status == ActionStatus.ACTIVE,
            FormalAction.review_due < today,
        )
    if review_type == "SPOC":
        return exists().where(
            SpocEntry.case_id == Case.id,
            SpocEntry.status == RegisterStatus.ACTIVE,
            SpocEntry.review_due < today,
        )
    return exists().where(
        PvpEntry.customer_id == Case.customer_id,
        PvpEntry.status == RegisterStatus.ACTIVE,
        PvpEntry.review_due < today,
    )
