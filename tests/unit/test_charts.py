"""Chart builders and the palette (issue 7): one colour per category and per stage, used by
every chart; every chart is a valid Vega-Lite spec (the page skips validation for speed)."""

from __future__ import annotations

import pytest

from core import charts
from core.enums import Category, Stage
from core.palette import (
    CATEGORY_COLOURS,
    STAGE_COLOURS,
    category_colour,
    category_scale,
    stage_colour,
    stage_scale,
    text_colour_on,
)

DATA = {
    "incidents_by_month_category": [
        {
            "month": "2026-01",
            "category": "aggressive",
            "category_label": Category.AGGRESSIVE.label,
            "service_area": "Housing Management",
            "incidents": 3,
        },
        {
            "month": "2026-02",
            "category": "unreasonable_demands",
            "category_label": Category.UNREASONABLE_DEMANDS.label,
            "service_area": "Repairs and Maintenance",
            "incidents": 5,
        },
    ],
    "behaviours_by_category": [
        {
            "behaviour": "same_matter",
            "behaviour_label": "Raising the same matter without new evidence",
            "category": "unreasonable_persistence",
            "category_label": Category.UNREASONABLE_PERSISTENCE.label,
            "service_area": "Housing Management",
            "incidents": 4,
        }
    ],
    "cases_by_stage": [
        {
            "stage": "warning",
            "stage_label": Stage.WARNING.label,
            "service_area": "Housing Management",
            "cases": 2,
        }
    ],
    "stage_movements": [
        {
            "from_stage": "informal",
            "to_stage": "warning",
            "movement": "Informal stage \u2192 Warning stage",
            "from_label": Stage.INFORMAL.label,
            "to_label": Stage.WARNING.label,
            "service_area": "Housing Management",
            "moves": 1,
        }
    ],
    "overdue_reviews": [
        {
            "review_type": "PVP",
            "age": "Over 180 days",
            "age_order": 3,
            "service_area": "Housing Management",
            "reviews": 2,
        }
    ],
    "appeals_summary": [
        {
            "decision_maker": "Helen Marsh",
            "service_area": "Housing Management",
            "received": 4,
            "decided_on_time": 2,
            "decided_late": 1,
            "pending": 1,
            "pending_overdue": 1,
        }
    ],
}
EMPTY: dict[str, list[dict]] = {k: [] for k in DATA}


def test_every_category_and_stage_has_its_own_colour():
    assert set(CATEGORY_COLOURS) == set(Category) and set(STAGE_COLOURS) == set(Stage)
    assert len(set(CATEGORY_COLOURS.values())) == len(Category)
    assert len(set(STAGE_COLOURS.values())) == len(Stage)
    assert category_colour("aggressive") == CATEGORY_COLOURS[Category.AGGRESSIVE]
    assert stage_colour(Stage.FORMAL) == STAGE_COLOURS[Stage.FORMAL]
    assert text_colour_on("#F0E442") == "#000000" and text_colour_on("#666666") == "#FFFFFF"


@pytest.mark.parametrize("data", [DATA, EMPTY], ids=["with-rows", "empty"])
def test_every_chart_is_a_valid_spec_with_title_and_tooltip(data):
    built = charts.all_charts(data, selectable=True)
    assert len(built) == 10
    for name, chart in built.items():
        spec = chart.to_dict(validate=True)  # raises if the spec is not valid Vega-Lite
        assert spec.get("title"), name
        assert spec["encoding"]["tooltip"], name


def test_charts_use_the_palette_for_categories_and_stages():
    built = charts.all_charts(DATA)
    domain, colours = category_scale()
    scale = built["incidents_by_month"].to_dict()["encoding"]["color"]["scale"]
    assert scale == {"domain": domain, "range": colours}
    domain, colours = stage_scale()
    assert built["cases_by_stage"].to_dict()["encoding"]["color"]["scale"] == {
        "domain": domain,
        "range": colours,
    }


def test_appeals_are_split_into_on_time_late_and_pending():
    rows = charts.appeal_rows(DATA["appeals_summary"])
    assert {r["status"]: r["appeals"] for r in rows} == {
        "Decided on time": 2,
        "Decided late": 1,
        "Pending, overdue": 1,
    }


def test_a_chart_renders_to_png():
    png = charts.to_png(charts.cases_by_stage(DATA["cases_by_stage"]), scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
