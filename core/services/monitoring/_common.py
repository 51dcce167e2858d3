"""Monitoring: filters, constants and the SQL expression helpers every figure shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import case as sql_case
from sqlalchemy import exists, func, literal, select
from sqlalchemy.orm import Session

from core.enums import (
    ActionStatus,
    Category,
    RegisterStatus,
    Stage,
)
from core.models import (
    Case,
    Customer,
    FormalAction,
    Incident,
    PvpEntry,
    ServiceArea,
    SpocEntry,
)
from core.policy.deadlines import add_months

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
