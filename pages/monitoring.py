"""Monitoring: KPI tiles, Altair charts, filters, drill-down to cases, the governance report."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core import charts, config
from core.enums import Behaviour, Category, Stage
from core.errors import PolicyError
from core.reports import governance_report, report_filename
from core.services import monitoring
from ui.session import actor, uow

CACHE_SECONDS = 300
CACHE_ENTRIES = 200
me = actor()
today = dt.date.today()
database = config.database_url()


# Cached per (user, filters, day, database, data version): a write moves the version on (in
# every server process, as it is read from the database), so nothing is ever cleared.
version = monitoring.data_version(me, uow())


@st.cache_data(ttl=CACHE_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def figures(who, filters: monitoring.Filters, day: dt.date, database: str, version: int) -> dict:
    return monitoring.dashboard(who, filters, uow(), day)


@st.cache_data(ttl=CACHE_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def areas(who, database: str, version: int) -> list[monitoring.ServiceAreaRow]:
    return monitoring.service_areas(who, uow())


@st.cache_data(ttl=CACHE_SECONDS, max_entries=CACHE_ENTRIES, show_spinner=False)
def cases_behind(
    who, filters: monitoring.Filters, kind: str, value: str, day: dt.date, database: str, version: int
) -> dict:
    return monitoring.drill_down(who, filters, kind, value, uow(), day)


st.header("Monitoring")

# ---------------------------------------------------------------- filters
default = monitoring.default_filters(today)
area_options = {a["name"]: a["id"] for a in areas(me, database, version)}
c1, c2, c3 = st.columns([2, 1.3, 1.7])
period = c1.date_input(
    "Period",
    value=(default.start, default.end),
    max_value=today,
    format="DD/MM/YYYY",
    help="Default: the last 12 months. Incident figures follow the period; "
    "open cases and overdue reviews are as of today.",
)
area_name = c2.selectbox("Service area", ["All service areas", *area_options])
category_label = c3.selectbox("Behaviour category", ["All categories", *(c.label for c in Category)])
start, end = (
    period if isinstance(period, (tuple, list)) and len(period) == 2 else (default.start, default.end)
)
filters = monitoring.Filters(
    start,
    end,
    area_options.get(area_name),
    next((c.value for c in Category if c.label == category_label), None),
)

data = figures(me, filters, today, database, version)
k = data["kpis"]

# ---------------------------------------------------------------- tiles
st.subheader("At a glance")
row = st.columns(4)
stages = k["open_cases_by_stage"]
for col, stage in zip(row, (Stage.NONE, Stage.INFORMAL, Stage.WARNING, Stage.FORMAL), strict=False):
    col.metric(f"Open cases: {stage.label.lower()}", stages[stage.value], border=True)
row = st.columns(4)
row[0].metric(
    "Incidents in the period",
    k["incidents"],
    delta=(
        f"{k['incidents_change']:+d}"
        + (f" ({k['incidents_change_pct']:+.1f}%)" if k["incidents_change_pct"] is not None else "")
    ),
    delta_color="inverse",
    border=True,
    help=f"Change from the previous {filters.days} days ({k['incidents_previous']} incidents).",
)
row[1].metric(
    "Reviews overdue",
    k["reviews_overdue"],
    border=True,
    help="Active warnings, formal actions, SPOC and PVP entries past their review date: "
    + ", ".join(f"{t} {n}" for t, n in k["reviews_overdue_by_type"].items()),
)
row[2].metric(
    "Appeals overdue",
    k["appeals_overdue"],
    border=True,
    help="Appeals not decided within 5 working days of receipt.",
)
row[3].metric(
    "Service referrals open",
    k["referrals_open"],
    border=True,
    help="Service failures referred to a service area and not yet resolved.",
)
row = st.columns(4)
row[0].metric(
    "SPOC entries due for review",
    k["spoc_due_for_review"],
    border=True,
    help=f"Overdue or due within {monitoring.DUE_SOON_DAYS} days.",
)
row[1].metric(
    "PVP entries due for review",
    k["pvp_due_for_review"],
    border=True,
    help=f"Overdue or due within {monitoring.DUE_SOON_DAYS} days.",
)

# ---------------------------------------------------------------- charts (click a bar to drill down)
built = charts.all_charts(data, selectable=True, by_area=bool(st.session_state.get("by_area")))
picked: list[tuple[str, str]] = []


def show(name: str, kind_for: dict[str, str] | None = None) -> None:
    """Draw a chart; if it is selectable, remember what the user clicked as (kind, value)."""
    if not kind_for:
        st.altair_chart(built[name], width="stretch")
        return
    event = st.altair_chart(built[name], width="stretch", on_select="rerun", key=f"chart_{name}")
    for point in (event.selection.get("pick") or []) if event else []:
        for field, kind in kind_for.items():
            if point.get(field):
                picked.append((kind, str(point[field])))
                break


st.subheader("Incidents")
show("incidents_by_month", {"category": "category", "month": "month"})
show("behaviours", {"behaviour": "behaviour"})
st.subheader("Caseload")
left, right = st.columns(2)
with left:
    show("cases_by_stage", {"stage": "stage"})
with right:
    show("stage_movements")
left, right = st.columns(2)
with left:
    show("overdue_reviews", {"review_type": "overdue_review"})
with right:
    show("appeals")
# Four more charts only when asked for: a collapsed expander would still build and draw them
# (each Vega chart costs the browser about as much as the page's queries).
if st.toggle("Show the figures by service area", key="by_area"):
    show("incidents_by_area", {"service_area": "service_area"})
    show("cases_by_area")
    show("overdue_by_area")
    show("appeals_by_area")

# ---------------------------------------------------------------- drill-down
st.subheader("Cases behind a figure")
choices: dict[str, tuple[str, str]] = {"(choose a figure, or click a bar above)": ("", "")}
choices |= {f"Category: {c.label}": ("category", c.value) for c in Category}
choices |= {f"Behaviour: {b.label}": ("behaviour", b.value) for b in Behaviour}
choices |= {f"Open at stage: {s.label}": ("stage", s.value) for s in Stage if s != Stage.CLOSED}
choices |= {f"Overdue review: {t}": ("overdue_review", t) for t in monitoring.REVIEW_TYPES}
choices |= {"Appeals overdue": ("appeal_overdue", "")}
choices |= {
    f"Month: {m}": ("month", m) for m in sorted({r["month"] for r in data["incidents_by_month_category"]})
}
choice = st.selectbox("Show the cases behind", list(choices))
drill = picked[-1] if picked else choices[choice]
if drill[0]:
    found: dict | None
    try:
        found = cases_behind(me, filters, drill[0], drill[1], today, database, version)
    except PolicyError as refusal:
        st.error(str(refusal))
        found = None
    if found is not None:
        st.caption(
            f"{found['total']} case(s)"
            + (f"; the latest {len(found['rows'])} shown." if found["limited"] else ".")
            + " Select a row to open the case timeline."
        )
        table = st.dataframe(
            [r | {"timeline": f"timeline?customer_id={r['customer_id']}"} for r in found["rows"]],
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key="drill_table",
            column_order=["case_id", "customer", "housing_ref", "stage", "service_area", "timeline"],
            column_config={
                "case_id": "Case",
                "customer": "Customer",
                "housing_ref": "Housing ref",
                "stage": "Stage",
                "service_area": "Service area",
                "timeline": st.column_config.LinkColumn("Timeline", display_text="Open"),
            },
        )
        selected = table.selection.rows if table else []
        if selected:
            customer_id = found["rows"][selected[0]]["customer_id"]
            st.session_state["customer_id"] = customer_id
            st.page_link(
                "pages/timeline.py",
                label="Open this customer's case timeline",
                icon=":material/timeline:",
                query_params={"customer_id": customer_id},
            )

# ---------------------------------------------------------------- governance report
st.subheader("Quarterly governance report")
q_start, q_end = monitoring.last_full_quarter(today)
quarters = []
for _ in range(4):
    quarters.append((q_start, q_end))
    q_start, q_end = monitoring.last_full_quarter(q_start)
labels = {f"{s:%d %b %Y} to {e:%d %b %Y}": (s, e) for s, e in quarters}
quarter = st.selectbox("Quarter", list(labels))
if st.button("Prepare the report", icon=":material/description:"):
    with st.spinner("Preparing the report with its charts..."):
        try:
            st.session_state["governance_report"] = (
                report_filename(*labels[quarter]),
                governance_report(me, *labels[quarter], uow(), today, filters.service_area_id),
            )
        except PolicyError as refusal:
            st.error(str(refusal))
if "governance_report" in st.session_state:
    name, content = st.session_state["governance_report"]
    st.download_button(
        f"Download {name}",
        content,
        file_name=name,
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
