"""Monitoring: the quarterly governance report's figures (SQL aggregates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy import join as sql_join
from sqlalchemy.orm import Session

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    AppealOutcome,
    Category,
    FormalActionType,
    RegisterStatus,
    Vulnerability,
)
from core.models import (
    Appeal,
    Case,
    Customer,
    CustomerVulnerability,
    FormalAction,
    Incident,
    PvpEntry,
    SpocEntry,
)
from core.permissions import Actor, Permission, require
from core.policy.remedies import EXTREME_ACTIONS
from core.services.monitoring._common import (
    Filters,
    _area_names,
    _case_conds,
    _count,
    _customer_conds,
    _incident_conds,
)
from core.services.monitoring.dashboard import _figures, _reviews_due

NO_VULNERABILITY = "None recorded"


def _by_vulnerability(s: Session, columns: list, counted, from_, customer_col, where: list) -> list[tuple]:
    """Counts split by recorded vulnerability (clause 2.3 underlying issues) for the equality
    impact review: one row per (kind, *columns), plus "None recorded" rows for customers with no
    recorded vulnerability. A customer with several kinds counts once under each kind."""
    joined = (
        select(CustomerVulnerability.kind, *columns, func.count(func.distinct(counted)))
        .select_from(from_)
        .join(CustomerVulnerability, CustomerVulnerability.customer_id == customer_col)
        .where(*where)
        .group_by(CustomerVulnerability.kind, *columns)
    )
    rows = [(Vulnerability(k).label, *rest) for k, *rest in s.execute(joined).all()]
    none = (
        select(*columns, func.count())
        .select_from(from_)
        .where(*where, ~exists().where(CustomerVulnerability.customer_id == customer_col))
    )
    if columns:
        none = none.group_by(*columns)
    rows += [(NO_VULNERABILITY, *r) for r in s.execute(none).all()]
    return rows


def _active_restrictions(s: Session, filters: Filters) -> list[dict[str, Any]]:
    """Active formal actions by kind, then the active SPOC and PVP register entries."""
    restrictions = [
        {"restriction": FormalActionType(k).label, "active": n}
        for k, n in s.execute(
            select(FormalAction.kind, func.count())
            .join(Case, Case.id == FormalAction.case_id)
            .where(FormalAction.status == ActionStatus.ACTIVE, *_case_conds(filters))
            .group_by(FormalAction.kind)
            .order_by(FormalAction.kind)
        ).all()
    ]
    restrictions.append(
        {
            "restriction": "SPOC register entry",
            "active": _count(
                s,
                select(func.count())
                .select_from(SpocEntry)
                .join(Case, Case.id == SpocEntry.case_id)
                .where(SpocEntry.status == RegisterStatus.ACTIVE, *_case_conds(filters)),
            ),
        }
    )
    restrictions.append(
        {
            "restriction": "PVP register entry (red flag)",
            "active": _count(
                s,
                select(func.count())
                .select_from(PvpEntry)
                .join(Customer, Customer.id == PvpEntry.customer_id)
                .where(
                    PvpEntry.status == RegisterStatus.ACTIVE,
                    *_customer_conds(filters, PvpEntry.customer_id),
                ),
            ),
        }
    )
    return restrictions


def _remedies_taken(s: Session, filters: Filters) -> list[dict[str, Any]]:
    """Issue 13: clause 5's remedies taken in the period, a count per kind."""
    return [
        {"remedy": FormalActionType(k).label, "taken": n}
        for k, n in s.execute(
            select(FormalAction.kind, func.count())
            .join(Case, Case.id == FormalAction.case_id)
            .where(
                FormalAction.kind.in_(EXTREME_ACTIONS),
                FormalAction.starts_on >= filters.start,
                FormalAction.starts_on <= filters.end,
                *_case_conds(filters),
            )
            .group_by(FormalAction.kind)
            .order_by(FormalAction.kind)
        ).all()
    ]


def _appeal_where(filters: Filters) -> list:
    return [
        Appeal.received_on >= filters.start,
        Appeal.received_on <= filters.end,
        *_case_conds(filters),
    ]


def _appeal_outcomes(s: Session, filters: Filters) -> list[dict[str, Any]]:
    return [
        {"outcome": AppealOutcome(o).label if o else "Not yet decided", "appeals": n}
        for o, n in s.execute(
            select(Appeal.outcome, func.count())
            .join(Case, Case.id == Appeal.case_id)
            .where(*_appeal_where(filters))
            .group_by(Appeal.outcome)
        ).all()
    ]


def _vulnerability_figures(s: Session, filters: Filters) -> dict[str, list[dict[str, Any]]]:
    """The equality impact review's splits of incidents, restrictions and appeals."""
    actions = sql_join(FormalAction, Case, Case.id == FormalAction.case_id)
    appeals = sql_join(Appeal, Case, Case.id == Appeal.case_id)
    return {
        "incidents_by_vulnerability": [
            {"vulnerability": v, "category_label": Category(c).label, "incidents": n}
            for v, c, n in _by_vulnerability(
                s, [Incident.category], Incident.id, Incident, Incident.customer_id, _incident_conds(filters)
            )
        ],
        "restrictions_by_vulnerability": [
            {"vulnerability": v, "active": n}
            for v, n in _by_vulnerability(
                s,
                [],
                FormalAction.id,
                actions,
                Case.customer_id,
                [FormalAction.status == ActionStatus.ACTIVE, *_case_conds(filters)],
            )
        ],
        "appeals_by_vulnerability": [
            {"vulnerability": v, "outcome": AppealOutcome(o).label if o else "Not yet decided", "appeals": n}
            for v, o, n in _by_vulnerability(
                s, [Appeal.outcome], Appeal.id, appeals, Case.customer_id, _appeal_where(filters)
            )
        ],
    }


def governance_figures(
    actor: Actor, filters: Filters, uow: UnitOfWork, today: dt.date | None = None
) -> dict[str, Any]:
    """The quarterly governance report's figures (SQL aggregates), for core.reports."""
    require(actor, Permission.VIEW_MONITORING)
    today = today or dt.date.today()
    with uow:
        s = uow.session
        figures = _figures(s, filters, today)
        figures["reviews_due"] = _reviews_due(s, filters, today, _area_names(s))
        figures["active_restrictions"] = _active_restrictions(s, filters)
        figures["remedies_taken"] = _remedies_taken(s, filters)
        figures["appeal_outcomes"] = _appeal_outcomes(s, filters)
        figures.update(_vulnerability_figures(s, filters))
        return figures
