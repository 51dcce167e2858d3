"""Altair chart builders over the monitoring aggregate rows (core/services/monitoring.py),
shared by the monitoring page and the governance report. Colours come from core.palette so a
category or stage has the same colour everywhere.

Each builder takes the small list of dicts the service returns (already aggregated in SQL)
and never queries the database. Charts that support drill-down carry a point selection
named `pick` on the field the drill-down needs.
"""

from __future__ import annotations

from collections.abc import Iterable

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

from core.enums import Category, Stage
from core.palette import (
    APPEAL_STATUS_COLOURS,
    REVIEW_TYPE_COLOURS,
    category_scale,
    stage_scale,
)
from core.services.monitoring import AGE_BUCKETS, REVIEW_TYPES

WIDTH = 560
AGE_COLOURS = ["#FDD49E", "#FC8D59", "#D7301F", "#7F0000"]
APPEAL_STATUSES = list(APPEAL_STATUS_COLOURS)


class Chart(alt.Chart):
    """alt.Chart whose to_dict() skips Altair's JSON-schema validation unless asked: validation
    costs about 70 ms per chart on every page run. tests/unit/test_charts.py validates every
    chart's spec once instead."""

    def to_dict(self, validate: bool = False, **kwargs):
        return super().to_dict(validate=validate, **kwargs)


def _data(rows: Iterable[dict]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _category_colour(title: str = "Behaviour category") -> alt.Color:
    domain, colours = category_scale()
    return alt.Color(
        "category_label:N",
        title=title,
        scale=alt.Scale(domain=domain, range=colours),
        legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
    )


def _stage_colour(field: str = "stage_label", title: str = "Stage") -> alt.Color:
    domain, colours = stage_scale()
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(domain=domain, range=colours),
        legend=alt.Legend(orient="bottom"),
    )


def _pick(*fields: str) -> alt.Parameter:
    return alt.selection_point(name="pick", fields=list(fields))


def _with_pick(chart: alt.Chart, pick: alt.Parameter | None) -> alt.Chart:
    # Clicking a bar selects it (the page drills down to its cases). No opacity condition on
    # the selection: building it costs ~25 ms per chart on every page run.
    return chart if pick is None else chart.add_params(pick)


def incidents_by_month(rows: list[dict], selectable: bool = False) -> alt.Chart:
    """Stacked bars: incidents per month, one colour per behaviour category."""
    chart = (
        Chart(
            _data(rows),
            title=alt.Title(
                "Incidents per month by behaviour category",
                subtitle="Each bar is one calendar month of the selected period",
            ),
        )
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("sum(incidents):Q", title="Incidents"),
            color=_category_colour(),
            order=alt.Order("category_label:N"),
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("category_label:N", title="Category"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .properties(width=WIDTH, height=300)
    )
    return _with_pick(chart, _pick("month", "category") if selectable else None)


def behaviours_by_category(rows: list[dict], selectable: bool = False) -> alt.Chart:
    """Horizontal bars: how often each behaviour was recorded, grouped and coloured by category
    (categories in policy order, behaviours most frequent first within each)."""
    categories = [c.label for c in Category]
    totals: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["category_label"], r["behaviour_label"])
        totals[key] = totals.get(key, 0) + r["incidents"]
    order = [b for (_, b), _n in sorted(totals.items(), key=lambda kv: (categories.index(kv[0][0]), -kv[1]))]
    chart = (
        Chart(
            _data(rows),
            title=alt.Title(
                "Behaviours recorded, within each category",
                subtitle="An incident can record more than one behaviour",
            ),
        )
        .mark_bar()
        .encode(
            y=alt.Y("behaviour_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=380)),
            x=alt.X("sum(incidents):Q", title="Incidents recording this behaviour"),
            color=_category_colour(),
            tooltip=[
                alt.Tooltip("behaviour_label:N", title="Behaviour"),
                alt.Tooltip("category_label:N", title="Category"),
                alt.Tooltip("sum(incidents):Q", title="Incidents"),
            ],
        )
        .properties(width=WIDTH - 200, height=alt.Step(16))
    )
    return _with_pick(chart, _pick("behaviour") if selectable else None)


def cases_by_stage(rows: list[dict], selectable: bool = False) -> alt.Chart:
    order = [s.label for s in Stage]
    chart = (
        Chart(_data(rows), title=alt.Title("Open cases by stage", subtitle="Cases not closed, as of today"))
        .mark_bar()
        .encode(
            x=alt.X("stage_label:N", title="Stage", sort=order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(cases):Q", title="Open cases"),
            color=_stage_colour(),
            tooltip=[
                alt.Tooltip("stage_label:N", title="Stage"),
                alt.Tooltip("sum(cases):Q", title="Open cases"),
            ],
        )
        .properties(width=WIDTH // 2 + 80, height=280)
    )
    return _with_pick(chart, _pick("stage") if selectable else None)


def stage_movements(rows: list[dict]) -> alt.Chart:
    return (
        Chart(
            _data(rows),
            title=alt.Title(
                "Movements between stages in the period",
                subtitle="Stage decisions recorded, by from \u2192 to",
            ),
        )
        .mark_bar()
        .encode(
            y=alt.Y("movement:N", title=None, sort="-x", axis=alt.Axis(labelLimit=300)),
            x=alt.X("sum(moves):Q", title="Decisions"),
            color=_stage_colour("to_label", "Moved to"),
            tooltip=[
                alt.Tooltip("from_label:N", title="From"),
                alt.Tooltip("to_label:N", title="To"),
                alt.Tooltip("sum(moves):Q", title="Decisions"),
            ],
        )
        .properties(width=WIDTH // 2, height=alt.Step(22))
    )


def overdue_reviews(rows: list[dict], selectable: bool = False) -> alt.Chart:
    chart = (
        Chart(
            _data(rows),
            title=alt.Title(
                "Overdue reviews by type and how long overdue",
                subtitle="Active warnings, restrictions and register entries past their review date",
            ),
        )
        .mark_bar()
        .encode(
            x=alt.X("review_type:N", title="Review of", sort=list(REVIEW_TYPES), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(reviews):Q", title="Overdue reviews"),
            color=alt.Color(
                "age:N",
                title="Overdue by",
                sort=list(AGE_BUCKETS),
                scale=alt.Scale(domain=list(AGE_BUCKETS), range=AGE_COLOURS),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("age_order:Q"),
            tooltip=[
                alt.Tooltip("review_type:N", title="Review of"),
                alt.Tooltip("age:N", title="Overdue by"),
                alt.Tooltip("sum(reviews):Q", title="Reviews"),
            ],
        )
        .properties(width=WIDTH // 2 + 80, height=280)
    )
    return _with_pick(chart, _pick("review_type") if selectable else None)


def appeal_rows(rows: list[dict]) -> list[dict]:
    """Appeals summary rows, one per decision maker, as long rows by status (for stacking)."""
    out = []
    for r in rows:
        pending_not_due = r["pending"] - r["pending_overdue"]
        counts = (r["decided_on_time"], r["decided_late"], pending_not_due, r["pending_overdue"])
        for status, n in zip(APPEAL_STATUSES, counts, strict=True):
            if n:
                out.append(
                    {
                        "decision_maker": r["decision_maker"],
                        "service_area": r["service_area"],
                        "status": status,
                        "appeals": n,
                        "order": APPEAL_STATUSES.index(status),
                    }
                )
    return out


def appeals_by_decision_maker(rows: list[dict]) -> alt.Chart:
    return (
        Chart(
            _data(appeal_rows(rows)),
            title=alt.Title(
                "Appeals received in the period, by decision maker",
                subtitle="Decided within 5 working days of receipt, decided late, or still pending",
            ),
        )
        .mark_bar()
        .encode(
            y=alt.Y("decision_maker:N", title="Decision maker"),
            x=alt.X("sum(appeals):Q", title="Appeals received"),
            color=alt.Color(
                "status:N",
                title="Status",
                sort=APPEAL_STATUSES,
                scale=alt.Scale(domain=APPEAL_STATUSES, range=list(APPEAL_STATUS_COLOURS.values())),
                legend=alt.Legend(orient="bottom"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("decision_maker:N", title="Decision maker"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("sum(appeals):Q", title="Appeals"),
            ],
        )
        .properties(width=WIDTH - 160, height=alt.Step(28))
    )


def by_service_area(
    rows: list[dict], value: str, colour: str, title: str, value_title: str, selectable: bool = False
) -> alt.Chart:
    """Any of the figures split by service area: bars per area, stacked by `colour`
    ('category', 'stage', 'review_type' or 'status')."""
    if colour == "category":
        colour_enc, colour_tip = _category_colour(), "category_label:N"
    elif colour == "stage":
        colour_enc, colour_tip = _stage_colour(), "stage_label:N"
    elif colour == "review_type":
        colour_enc = alt.Color(
            "review_type:N",
            title="Review of",
            sort=list(REVIEW_TYPES),
            scale=alt.Scale(domain=list(REVIEW_TYPE_COLOURS), range=list(REVIEW_TYPE_COLOURS.values())),
            legend=alt.Legend(orient="bottom"),
        )
        colour_tip = "review_type:N"
    else:
        colour_enc = alt.Color(
            "status:N",
            title="Status",
            sort=APPEAL_STATUSES,
            scale=alt.Scale(domain=APPEAL_STATUSES, range=list(APPEAL_STATUS_COLOURS.values())),
            legend=alt.Legend(orient="bottom"),
        )
        colour_tip = "status:N"
    chart = (
        Chart(_data(rows), title=title)
        .mark_bar()
        .encode(
            y=alt.Y("service_area:N", title="Service area", axis=alt.Axis(labelLimit=220)),
            x=alt.X(f"sum({value}):Q", title=value_title),
            color=colour_enc,
            tooltip=[
                alt.Tooltip("service_area:N", title="Service area"),
                alt.Tooltip(colour_tip, title=colour.replace("_", " ").capitalize()),
                alt.Tooltip(f"sum({value}):Q", title=value_title),
            ],
        )
        .properties(width=WIDTH - 200, height=alt.Step(24))
    )
    return _with_pick(chart, _pick("service_area") if selectable else None)


def all_charts(data: dict, selectable: bool = False, by_area: bool = True) -> dict[str, alt.Chart]:
    """Every dashboard chart from a monitoring.dashboard() result, keyed by a short name
    (`by_area=False`: without the four by-service-area ones). Built without Altair's
    per-object validation (see Chart)."""
    with debug_mode(False):
        built = _main_charts(data, selectable)
        return built | _area_charts(data, selectable) if by_area else built


def _main_charts(data: dict, selectable: bool) -> dict[str, alt.Chart]:
    return {
        "incidents_by_month": incidents_by_month(data["incidents_by_month_category"], selectable),
        "behaviours": behaviours_by_category(data["behaviours_by_category"], selectable),
        "cases_by_stage": cases_by_stage(data["cases_by_stage"], selectable),
        "stage_movements": stage_movements(data["stage_movements"]),
        "overdue_reviews": overdue_reviews(data["overdue_reviews"], selectable),
        "appeals": appeals_by_decision_maker(data["appeals_summary"]),
    }


def _area_charts(data: dict, selectable: bool) -> dict[str, alt.Chart]:
    return {
        "incidents_by_area": by_service_area(
            data["incidents_by_month_category"],
            "incidents",
            "category",
            "Incidents in the period by service area",
            "Incidents",
            selectable,
        ),
        "cases_by_area": by_service_area(
            data["cases_by_stage"], "cases", "stage", "Open cases by service area", "Open cases"
        ),
        "overdue_by_area": by_service_area(
            data["overdue_reviews"],
            "reviews",
            "review_type",
            "Overdue reviews by service area",
            "Overdue reviews",
        ),
        "appeals_by_area": by_service_area(
            appeal_rows(data["appeals_summary"]),
            "appeals",
            "status",
            "Appeals received by service area",
            "Appeals",
        ),
    }


def to_png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    """The chart as a PNG (vl-convert, no browser needed), for the .docx report."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_json(), scale=scale)
