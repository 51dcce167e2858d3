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

Modules: `_common` (filters and shared SQL helpers), `dashboard` (the page's tiles and chart
rows), `governance` (the quarterly governance report), `drilldown` (the cases behind one bar).
Every public name is re-exported here.
"""

from core.services.areas import ServiceAreaRow
from core.services.monitoring._common import (
    AGE_BUCKETS,
    DRILL_DOWN_LIMIT,
    DUE_SOON,
    DUE_SOON_DAYS,
    REVIEW_TYPES,
    UNASSIGNED_AREA,
    Filters,
    default_filters,
    last_full_quarter,
    quarter_of,
)
from core.services.monitoring.dashboard import NO_FIGURE_ACTIONS, dashboard, data_version, kpis, service_areas
from core.services.monitoring.drilldown import DRILL_KINDS, drill_down
from core.services.monitoring.governance import NO_VULNERABILITY, governance_figures

__all__ = [
    "AGE_BUCKETS",
    "DRILL_DOWN_LIMIT",
    "DRILL_KINDS",
    "DUE_SOON",
    "DUE_SOON_DAYS",
    "NO_FIGURE_ACTIONS",
    "NO_VULNERABILITY",
    "REVIEW_TYPES",
    "UNASSIGNED_AREA",
    "ServiceAreaRow",
    "Filters",
    "dashboard",
    "data_version",
    "default_filters",
    "drill_down",
    "governance_figures",
    "kpis",
    "last_full_quarter",
    "quarter_of",
    "service_areas",
]
