"""Monitoring dashboard: the tiles and chart rows of the monitoring page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork
from core.enums import (
    CATEGORY_OF_BEHAVIOUR,
    Behaviour,
    Category,
    Stage,
)
from core.models import (
    Appeal,
    AuditEntry,
    Case,
    Incident,
    IncidentDaily,
    ServiceReferral,
    StageEvent,
    User,
)
from core.models.summary import NO_BEHAVIOUR
from core.permissions import Actor, Permission, require
from core.services import areas
from core.services.areas import ServiceAreaRow
from core.services.monitoring._common import (
    AGE_BUCKETS,
    DUE_SOON,
    DUE_SOON_DAYS,
    REVIEW_TYPES,
    UNASSIGNED_AREA,
    Filters,
    _active_overdue_sources,
    _age_bucket,
    _area_names,
    _case_conds,
    _count,
    _month,
)


def _kpis(s: Session, f: Filters, today: dt.date, rows: dict[str, list[dict]]) -> dict[str, Any]:
    """The tiles. Most are sums over the aggregate rows already fetched; the rest are COUNTs."""
    open_by_stage = dict.fromkeys([st.value for st in Stage if st != Stage.CLOSED], 0)
    for r in rows["cases_by_stage"]:
        open_by_stage[r["stage"]] += r["cases"]
    incidents = sum(r["incidents"] for r in rows["incidents_by_month_category"])
    previous = _incident_total(s, f.previous())
    overdue = dict.fromkeys(REVIEW_TYPES, 0)
    due = dict.fromkeys(REVIEW_TYPES, 0)
    for r in rows["overdue_reviews"]:
        due[r["review_type"]] += r["reviews"]
        if r["age"] != DUE_SOON:
            overdue[r["review_type"]] += r["reviews"]
    appeals_overdue = _count(
        s,
        select(func.count())
        .select_from(Appeal)
        .join(Case, and_(Case.id == Appeal.case_id, *_case_conds(f)))
        .where(Appeal.decided_on.is_(None), Appeal.due_on < today),
    )
    referral_conds: list[ColumnElement[bool]] = [ServiceReferral.resolved_at.is_(None)]
    if f.service_area_id:
        referral_conds.append(ServiceReferral.service_area_id == f.service_area_id)
    if f.category:
        referral_conds.append(
            exists().where(
                Incident.id == ServiceReferral.incident_id, Incident.category == Category(f.category)
            )
        )
    referrals = _count(s, select(func.count()).select_from(ServiceReferral).where(*referral_conds))
    change = incidents - previous
    return {
        "open_cases_by_stage": open_by_stage,
        "open_cases": sum(open_by_stage.values()),
        "incidents": incidents,
        "incidents_previous": previous,
        "incidents_change": change,
        "incidents_change_pct": round(100.0 * change / previous, 1) if previous else None,
        "reviews_overdue_by_type": overdue,
        "reviews_overdue": sum(overdue.values()),
        "appeals_overdue": appeals_overdue,
        "spoc_due_for_review": due["SPOC"],
        "pvp_due_for_review": due["PVP"],
        "referrals_open": referrals,
    }


def _daily_conds(f: Filters, behaviours: bool = False) -> list:
    """Conditions on the incident_daily summary (kept exact by triggers, migration 0003): the
    same incidents as _incident_conds, since its day is the UTC day of occurred_at."""
    conds = [
        IncidentDaily.day >= f.start,
        IncidentDaily.day <= f.end,
        IncidentDaily.behaviour != NO_BEHAVIOUR if behaviours else IncidentDaily.behaviour == NO_BEHAVIOUR,
    ]
    if f.service_area_id:
        conds.append(IncidentDaily.service_area_id == f.service_area_id)
    if f.category:
        conds.append(IncidentDaily.category == Category(f.category).value)
    return conds


def _incident_total(s: Session, f: Filters) -> int:
    return _count(s, select(func.sum(IncidentDaily.incidents)).where(*_daily_conds(f)))


def _incidents_by_month_category(s: Session, f: Filters, areas: dict) -> list[dict]:
    month = _month(s, IncidentDaily.day).label("month")
    stmt = (
        select(
            month, IncidentDaily.category, IncidentDaily.service_area_id, func.sum(IncidentDaily.incidents)
        )
        .where(*_daily_conds(f))
        .group_by(month, IncidentDaily.category, IncidentDaily.service_area_id)
    )
    return [
        {
            "month": m,
            "category": Category(c).value,
            "category_label": Category(c).label,
            "service_area": areas.get(a, UNASSIGNED_AREA),
            "incidents": int(n),
        }
        for m, c, a, n in s.execute(stmt).all()
    ]


def _behaviours_by_category(s: Session, f: Filters, areas: dict) -> list[dict]:
    """Incidents with each behaviour (an incident can record several), by service area."""
    stmt = (
        select(IncidentDaily.behaviour, IncidentDaily.service_area_id, func.sum(IncidentDaily.incidents))
        .where(*_daily_conds(f, behaviours=True))
        .group_by(IncidentDaily.behaviour, IncidentDaily.service_area_id)
    )
    rows = []
    for b, a, n in s.execute(stmt).all():
        n = int(n)
        behaviour = Behaviour(b)
        category = CATEGORY_OF_BEHAVIOUR[behaviour]
        rows.append(
            {
                "behaviour": behaviour.value,
                "behaviour_label": behaviour.label,
                "category": category.value,
                "category_label": category.label,
                "service_area": areas.get(a, UNASSIGNED_AREA),
                "incidents": n,
            }
        )
    return rows


def _cases_by_stage(s: Session, f: Filters, areas: dict) -> list[dict]:
    stmt = (
        select(Case.stage, Case.service_area_id, func.count())
        .where(Case.stage != Stage.CLOSED, *_case_conds(f))
        .group_by(Case.stage, Case.service_area_id)
    )
    return [
        {
            "stage": Stage(st).value,
            "stage_label": Stage(st).label,
            "service_area": areas.get(a, UNASSIGNED_AREA),
            "cases": n,
        }
        for st, a, n in s.execute(stmt).all()
    ]


def _stage_movements(s: Session, f: Filters, areas: dict) -> list[dict]:
    stmt = (
        select(StageEvent.from_stage, StageEvent.to_stage, Case.service_area_id, func.count())
        .join(Case, Case.id == StageEvent.case_id)
        .where(StageEvent.decided_on >= f.start, StageEvent.decided_on <= f.end, *_case_conds(f))
        .group_by(StageEvent.from_stage, StageEvent.to_stage, Case.service_area_id)
    )
    return [
        {
            "from_stage": Stage(a_).value,
            "to_stage": Stage(b_).value,
            "movement": f"{Stage(a_).label} \u2192 {Stage(b_).label}",
            "from_label": Stage(a_).label,
            "to_label": Stage(b_).label,
            "service_area": areas.get(area, UNASSIGNED_AREA),
            "moves": n,
        }
        for a_, b_, area, n in s.execute(stmt).all()
    ]


def _reviews_due(s: Session, f: Filters, today: dt.date, areas: dict) -> list[dict]:
    """Active reviews overdue (by how long) or due within DUE_SOON_DAYS, by type and area."""
    rows = []
    for kind, stmt in _active_overdue_sources(f, today, today + dt.timedelta(days=DUE_SOON_DAYS + 1)):
        sub = stmt.subquery()
        bucket = _age_bucket(sub.c.due, today).label("bucket")
        for b, a, n in s.execute(select(bucket, sub.c.area, func.count()).group_by(bucket, sub.c.area)).all():
            rows.append(
                {
                    "review_type": kind,
                    "age": b,
                    "age_order": (AGE_BUCKETS + (DUE_SOON,)).index(b),
                    "service_area": areas.get(a, UNASSIGNED_AREA),
                    "reviews": n,
                }
            )
    return rows


def _appeals_summary(s: Session, f: Filters, today: dt.date, areas: dict) -> list[dict]:
    decided = Appeal.decided_on.is_not(None)
    on_time = func.sum(sql_case((and_(decided, Appeal.decided_on <= Appeal.due_on), 1), else_=0))
    late = func.sum(sql_case((and_(decided, Appeal.decided_on > Appeal.due_on), 1), else_=0))
    pending_overdue = func.sum(
        sql_case((and_(Appeal.decided_on.is_(None), Appeal.due_on < today), 1), else_=0)
    )
    pending = func.sum(sql_case((Appeal.decided_on.is_(None), 1), else_=0))
    stmt = (
        select(User.name, Case.service_area_id, func.count(), on_time, late, pending, pending_overdue)
        .select_from(Appeal)
        .join(Case, Case.id == Appeal.case_id)
        .join(User, User.id == Appeal.decision_maker_id)
        .where(Appeal.received_on >= f.start, Appeal.received_on <= f.end, *_case_conds(f))
        .group_by(User.name, Case.service_area_id)
    )
    return [
        {
            "decision_maker": who,
            "service_area": areas.get(a, UNASSIGNED_AREA),
            "received": n,
            "decided_on_time": int(t or 0),
            "decided_late": int(late_count or 0),
            "pending": int(p or 0),
            "pending_overdue": int(po or 0),
        }
        for who, a, n, t, late_count, p, po in s.execute(stmt).all()
    ]


def _figures(s: Session, filters: Filters, today: dt.date) -> dict[str, Any]:
    areas = _area_names(s)
    rows = {
        "incidents_by_month_category": _incidents_by_month_category(s, filters, areas),
        "behaviours_by_category": _behaviours_by_category(s, filters, areas),
        "cases_by_stage": _cases_by_stage(s, filters, areas),
        "stage_movements": _stage_movements(s, filters, areas),
        "overdue_reviews": _reviews_due(s, filters, today, areas),
        "appeals_summary": _appeals_summary(s, filters, today, areas),
    }
    kpis_ = _kpis(s, filters, today, rows)
    rows["overdue_reviews"] = [r for r in rows["overdue_reviews"] if r["age"] != DUE_SOON]
    return {"filters": filters, "today": today, "kpis": kpis_} | rows


def dashboard(
    actor: Actor, filters: Filters, uow: UnitOfWork, today: dt.date | None = None
) -> dict[str, Any]:
    """Everything the monitoring page shows (tiles and chart rows), in one read-only unit of work."""
    require(actor, Permission.VIEW_MONITORING)
    today = today or dt.date.today()
    with uow:
        return _figures(uow.session, filters, today)


def kpis(actor: Actor, filters: Filters, uow: UnitOfWork, today: dt.date | None = None) -> dict:
    """Only the tiles."""
    return dashboard(actor, filters, uow, today)["kpis"]


# Audited actions that change no figure: signing in and out, exports, subject access packs.
NO_FIGURE_ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "login_locked",
    "login_refused_locked",
    "export",
    "build_sar_pack",
    "reset_password",
    "confirm_identity",
)


def data_version(actor: Actor, uow: UnitOfWork) -> int:
    """A stamp that changes whenever a write that can change a figure is committed: the id of
    the latest audit entry (every write is audited in its own transaction) other than sign-ins,
    exports and the like. The page caches its figures under this stamp, so a write shows on
    the next view in every server process and a read never invalidates anything. One backward
    step down the primary key, whatever the size of the trail."""
    require(actor, Permission.VIEW_MONITORING)
    with uow:
        return (
            uow.session.scalar(
                select(AuditEntry.id)
                .where(AuditEntry.action.not_in(NO_FIGURE_ACTIONS))
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            or 0
        )


def service_areas(actor: Actor, uow: UnitOfWork) -> list[ServiceAreaRow]:
    """Service areas for the filter list."""
    return areas.service_areas(actor, uow, Permission.VIEW_MONITORING)


# ---------------------------------------------------------------- governance report figures
