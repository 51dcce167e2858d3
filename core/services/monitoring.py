"""Monitoring figures (clause 5, "Stage management and monitoring"): every number is one SQL
aggregate (GROUP BY / COUNT in the database); no table is ever loaded whole.

Filters: a period (default the last 12 months), a service area and a behaviour category.
- Incident figures (counts, months, behaviours) follow all three.
- Case figures (open cases by stage, overdue reviews, drill-down) are a snapshot as of
  `today`: they follow the service area (the case's area) and the category (cases with at
  least one incident of that category); stage movements and appeals received follow the period.

Rows come back as plain dicts with a `service_area` name, so every chart can also be shown
by service area without another query.

Speed at volume (docs/performance.md): the period figures (incidents by month, category and
area, behaviours, the period and previous-period totals) are summed from `incident_daily`, one
row per day x area x category (x behaviour), which database triggers keep exact on every write
to incident and incident_behaviour (migration 0003); a year is a few tens of thousands of
summary rows whatever the number of incidents. The as-of-today counts (open cases, reviews
due, appeals overdue) read composite indexes added by the same migration.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy import case as sql_case
from sqlalchemy import join as sql_join
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.db import UnitOfWork
from core.enums import (
    CATEGORY_OF_BEHAVIOUR,
    ActionStatus,
    AppealOutcome,
    Behaviour,
    Category,
    FormalActionType,
    RegisterStatus,
    Stage,
    Vulnerability,
)
from core.models import (
    Appeal,
    AuditEntry,
    Case,
    Customer,
    CustomerVulnerability,
    FormalAction,
    Incident,
    IncidentBehaviour,
    IncidentDaily,
    PvpEntry,
    ServiceArea,
    ServiceReferral,
    SpocEntry,
    StageEvent,
    User,
)
from core.models.summary import NO_BEHAVIOUR
from core.permissions import Actor, Permission, require
from core.policy.deadlines import add_months
from core.policy.remedies import EXTREME_ACTIONS
from core.services import areas
from core.services.areas import ServiceAreaRow

DUE_SOON_DAYS = 30  # "due for review": overdue, or due within this many days
DRILL_DOWN_LIMIT = 200
AGE_BUCKETS = ("Under 30 days", "30 to 90 days", "90 to 180 days", "Over 180 days")
REVIEW_TYPES = ("Warning", "Formal action", "SPOC", "PVP")
UNASSIGNED_AREA = "(no service area)"
DUE_SOON = "Due within 30 days"


@dataclass(frozen=True)
class Filters:
    """What the dashboard is looking at. Dates are inclusive; None means all."""

    start: dt.date
    end: dt.date
    service_area_id: int | None = None
    category: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length immediately before this one."""
        return replace(
            self, start=self.start - dt.timedelta(days=self.days), end=self.start - dt.timedelta(days=1)
        )


def default_filters(
    today: dt.date, service_area_id: int | None = None, category: str | None = None
) -> Filters:
    """The last 12 months up to and including today."""
    return Filters(add_months(today, -12) + dt.timedelta(days=1), today, service_area_id, category)


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return start, add_months(start, 3) - dt.timedelta(days=1)


def last_full_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    start, _ = quarter_of(today)
    return quarter_of(start - dt.timedelta(days=1))


# ---------------------------------------------------------------- helpers over SQL expressions


def _bounds(f: Filters) -> tuple[dt.datetime, dt.datetime]:
    utc = dt.UTC
    return (
        dt.datetime.combine(f.start, dt.time(), utc),
        dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time(), utc),
    )


def _incident_conds(f: Filters) -> list:
    low, high = _bounds(f)
    conds = [Incident.occurred_at >= low, Incident.occurred_at < high]
    if f.service_area_id:
        conds.append(Incident.service_area_id == f.service_area_id)
    if f.category:
        conds.append(Incident.category == Category(f.category))
    return conds


def _case_conds(f: Filters) -> list:
    """Conditions on Case (joined) for the case-based snapshot figures."""
    conds = []
    if f.service_area_id:
        conds.append(Case.service_area_id == f.service_area_id)
    if f.category:
        conds.append(exists().where(Incident.case_id == Case.id, Incident.category == Category(f.category)))
    return conds


def _customer_conds(f: Filters, customer_id_col) -> list:
    """For PVP entries, which hang off the customer (joined) rather than a case."""
    conds = []
    if f.service_area_id:
        conds.append(Customer.service_area_id == f.service_area_id)
    if f.category:
        conds.append(
            exists().where(Incident.customer_id == customer_id_col, Incident.category == Category(f.category))
        )
    return conds


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)  # SQLite stores 'YYYY-MM-DD HH:MM:SS': cheaper than strftime


def _area_names(session: Session) -> dict[int | None, str]:
    names: dict[int | None, str] = dict(session.execute(select(ServiceArea.id, ServiceArea.name)).all())
    names[None] = UNASSIGNED_AREA
    return names


def _age_bucket(due_col, today: dt.date):
    return sql_case(
        (due_col >= today, literal(DUE_SOON)),
        (due_col >= today - dt.timedelta(days=30), literal(AGE_BUCKETS[0])),
        (due_col >= today - dt.timedelta(days=90), literal(AGE_BUCKETS[1])),
        (due_col >= today - dt.timedelta(days=180), literal(AGE_BUCKETS[2])),
        else_=literal(AGE_BUCKETS[3]),
    )


def _active_overdue_sources(f: Filters, today: dt.date, cutoff: dt.date) -> list:
    """(type, due column, area column, base select) for each kind of review, due before cutoff."""
    warning = select(Case.warning_review_due.label("due"), Case.service_area_id.label("area")).where(
        Case.stage == Stage.WARNING, Case.warning_review_due < cutoff, *_case_conds(f)
    )
    formal = (
        select(FormalAction.review_due.label("due"), Case.service_area_id.label("area"))
        .join(Case, Case.id == FormalAction.case_id)
        .where(FormalAction.status == ActionStatus.ACTIVE, FormalAction.review_due < cutoff, *_case_conds(f))
    )
    spoc = (
        select(SpocEntry.review_due.label("due"), Case.service_area_id.label("area"))
        .join(Case, Case.id == SpocEntry.case_id)
        .where(SpocEntry.status == RegisterStatus.ACTIVE, SpocEntry.review_due < cutoff, *_case_conds(f))
    )
    pvp = (
        select(PvpEntry.review_due.label("due"), Customer.service_area_id.label("area"))
        .join(Customer, Customer.id == PvpEntry.customer_id)
        .where(
            PvpEntry.status == RegisterStatus.ACTIVE,
            PvpEntry.review_due < cutoff,
            *_customer_conds(f, PvpEntry.customer_id),
        )
    )
    return list(zip(REVIEW_TYPES, (warning, formal, spoc, pvp), strict=False))


# ---------------------------------------------------------------- the figures


def _count(session: Session, stmt) -> int:
    return int(session.scalar(stmt) or 0)


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
        figures["active_restrictions"] = restrictions
        figures["remedies_taken"] = [  # issue 13: clause 5's remedies taken in the period, a count per kind
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
        appeal_where = [
            Appeal.received_on >= filters.start,
            Appeal.received_on <= filters.end,
            *_case_conds(filters),
        ]
        figures["appeal_outcomes"] = [
            {"outcome": AppealOutcome(o).label if o else "Not yet decided", "appeals": n}
            for o, n in s.execute(
                select(Appeal.outcome, func.count())
                .join(Case, Case.id == Appeal.case_id)
                .where(*appeal_where)
                .group_by(Appeal.outcome)
            ).all()
        ]

        figures["incidents_by_vulnerability"] = [
            {"vulnerability": v, "category_label": Category(c).label, "incidents": n}
            for v, c, n in _by_vulnerability(
                s, [Incident.category], Incident.id, Incident, Incident.customer_id, _incident_conds(filters)
            )
        ]
        actions = sql_join(FormalAction, Case, Case.id == FormalAction.case_id)
        figures["restrictions_by_vulnerability"] = [
            {"vulnerability": v, "active": n}
            for v, n in _by_vulnerability(
                s,
                [],
                FormalAction.id,
                actions,
                Case.customer_id,
                [FormalAction.status == ActionStatus.ACTIVE, *_case_conds(filters)],
            )
        ]
        appeals = sql_join(Appeal, Case, Case.id == Appeal.case_id)
        figures["appeals_by_vulnerability"] = [
            {"vulnerability": v, "outcome": AppealOutcome(o).label if o else "Not yet decided", "appeals": n}
            for v, o, n in _by_vulnerability(
                s, [Appeal.outcome], Appeal.id, appeals, Case.customer_id, appeal_where
            )
        ]
        return figures


# ---------------------------------------------------------------- drill-down

DRILL_KINDS = ("category", "behaviour", "month", "stage", "overdue_review", "appeal_overdue", "service_area")


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
        s = uow.session
        case_conds = _case_conds(filters)
        where: list[ColumnElement[bool]]
        if kind in ("category", "behaviour", "month", "service_area"):
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
                conds.append(
                    Incident.service_area_id.in_(select(ServiceArea.id).where(ServiceArea.name == value))
                )
            where = [exists().where(*conds)]
        elif kind == "stage":
            where = [Case.stage == Stage(value), *case_conds]
        elif kind == "overdue_review":
            if value not in REVIEW_TYPES:
                raise ValueError(f"Unknown review type {value!r}")
            where = [*case_conds, _overdue_condition(value, today)]
        else:
            where = [
                *case_conds,
                exists().where(Appeal.case_id == Case.id, Appeal.decided_on.is_(None), Appeal.due_on < today),
            ]
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


__all__ = [
    "Filters",
    "default_filters",
    "dashboard",
    "kpis",
    "drill_down",
    "service_areas",
    "quarter_of",
    "last_full_quarter",
    "AGE_BUCKETS",
    "REVIEW_TYPES",
    "DRILL_KINDS",
]
