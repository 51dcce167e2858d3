"""One colour per behaviour category and per stage, used everywhere: charts, badges, reports.

Colours are from the Okabe-Ito palette (distinguishable with the common forms of colour
blindness). Categories and stages use separate sets so a chart never mixes them up.
"""

from __future__ import annotations

from core.enums import Category, Stage

CATEGORY_COLOURS: dict[Category, str] = {
    Category.AGGRESSIVE: "#D55E00",  # vermilion
    Category.UNREASONABLE_BEHAVIOUR: "#0072B2",  # blue
    Category.UNREASONABLE_DEMANDS: "#E69F00",  # orange
    Category.UNREASONABLE_PERSISTENCE: "#009E73",  # bluish green
}

STAGE_COLOURS: dict[Stage, str] = {
    Stage.NONE: "#BBBBBB",  # grey: nothing decided yet
    Stage.INFORMAL: "#56B4E9",  # sky blue
    Stage.WARNING: "#F0E442",  # yellow
    Stage.FORMAL: "#CC79A7",  # reddish purple
    Stage.CLOSED: "#666666",  # dark grey
}

# Overdue review types and appeal outcomes, for the charts that need them.
REVIEW_TYPE_COLOURS: dict[str, str] = {
    "Warning": "#F0E442",
    "Formal action": "#CC79A7",
    "SPOC": "#0072B2",
    "PVP": "#D55E00",
}
APPEAL_STATUS_COLOURS: dict[str, str] = {
    "Decided on time": "#009E73",
    "Decided late": "#E69F00",
    "Pending, not yet due": "#56B4E9",
    "Pending, overdue": "#D55E00",
}


def category_colour(category: Category | str) -> str:
    return CATEGORY_COLOURS[Category(category)]


def stage_colour(stage: Stage | str) -> str:
    return STAGE_COLOURS[Stage(stage)]


def category_scale() -> tuple[list[str], list[str]]:
    """(labels, colours) in enum order, for an Altair scale(domain=..., range=...)."""
    return [c.label for c in Category], [CATEGORY_COLOURS[c] for c in Category]


def stage_scale() -> tuple[list[str], list[str]]:
    return [s.label for s in Stage], [STAGE_COLOURS[s] for s in Stage]


def text_colour_on(background: str) -> str:
    """Black or white text, whichever reads better on `background` (for badges)."""
    hex_ = background.lstrip("#")
    r, g, b = (int(hex_[i : i + 2], 16) for i in (0, 2, 4))
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#000000" if luminance > 150 else "#FFFFFF"
