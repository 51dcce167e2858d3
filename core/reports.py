"""The quarterly governance report for the board (.docx): active restrictions by type, entries
overdue or stale, appeals and their outcomes, incidents by category and service area, and the
same broken down by recorded vulnerability for the equality impact review. Charts are the
dashboard's own Altair charts, rendered to PNG with vl-convert (no browser)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from docx import Document
from docx.shared import Cm, Pt

from core import charts
from core.db import UnitOfWork
from core.enums import Category
from core.permissions import Actor, Permission, require
from core.services.monitoring import AGE_BUCKETS, DUE_SOON, REVIEW_TYPES, Filters, governance_figures

STALE_BUCKETS = AGE_BUCKETS[2:]  # more than 90 days past the review date


def _table(doc, header: list[str], rows: list[list]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header, strict=False):
        cell.text = str(text)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = str(value)
    if not rows:
        table.add_row().cells[0].text = "None in this period."


def _chart(doc, chart, width_cm: float = 16.0) -> None:
    doc.add_picture(io.BytesIO(charts.to_png(chart)), width=Cm(width_cm))


def _pivot(rows: list[dict], row_key: str, col_key: str, value: str, cols: list[str]) -> list[list]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        table[r[row_key]][r[col_key]] += r[value]
    return [[k, *(table[k].get(c, 0) for c in cols), sum(table[k].values())] for k in sorted(table)]


def _summary(doc, k: dict) -> None:
    doc.add_heading("Summary", level=1)
    change = f"{k['incidents_change']:+d}" + (
        f" ({k['incidents_change_pct']:+.1f}%)" if k["incidents_change_pct"] is not None else ""
    )
    _table(
        doc,
        ["Measure", "Value"],
        [
            ["Incidents recorded in the period", k["incidents"]],
            ["Change from the previous period of the same length", change],
            ["Open cases", k["open_cases"]],
            *[[f"  of which {stage}", n] for stage, n in k["open_cases_by_stage"].items()],
            ["Reviews overdue (warnings, restrictions, SPOC, PVP)", k["reviews_overdue"]],
            ["Appeals past the 5-working-day decision date", k["appeals_overdue"]],
            ["SPOC entries due for review (overdue or within 30 days)", k["spoc_due_for_review"]],
            ["PVP entries due for review (overdue or within 30 days)", k["pvp_due_for_review"]],
            ["Service referrals open", k["referrals_open"]],
        ],
    )


def _restrictions_and_reviews(doc, f: dict) -> None:
    doc.add_heading("Active restrictions by type", level=1)
    _table(
        doc, ["Restriction", "Active"], [[r["restriction"], r["active"]] for r in f["active_restrictions"]]
    )
    doc.add_heading("Entries overdue or stale", level=1)
    doc.add_paragraph(
        "Overdue: past the review date. Stale: more than 90 days past it, so the policy's "
        "aim of restoring normal relations within the agreed period is at risk."
    )
    overdue = [r for r in f["reviews_due"] if r["age"] != DUE_SOON]
    by_type = {t: {"overdue": 0, "stale": 0} for t in REVIEW_TYPES}
    for r in overdue:
        by_type[r["review_type"]]["overdue"] += r["reviews"]
        if r["age"] in STALE_BUCKETS:
            by_type[r["review_type"]]["stale"] += r["reviews"]
    _table(
        doc,
        ["Review of", "Overdue", "of which stale"],
        [[t, v["overdue"], v["stale"]] for t, v in by_type.items()],
    )
    if overdue:
        _chart(doc, charts.overdue_reviews(overdue), 12)


def _appeals(doc, f: dict) -> None:
    doc.add_heading("Appeals and their outcomes", level=1)
    _table(
        doc,
        ["Decision maker", "Received", "Decided on time", "Decided late", "Pending", "Pending, overdue"],
        [
            [
                r["decision_maker"],
                r["received"],
                r["decided_on_time"],
                r["decided_late"],
                r["pending"],
                r["pending_overdue"],
            ]
            for r in _sum_by(f["appeals_summary"], "decision_maker")
        ],
    )
    doc.add_paragraph()
    _table(doc, ["Outcome", "Appeals"], [[r["outcome"], r["appeals"]] for r in f["appeal_outcomes"]])
    if f["appeals_summary"]:
        _chart(doc, charts.appeals_by_decision_maker(f["appeals_summary"]), 15)


def _incidents(doc, f: dict, categories: list[str]) -> None:
    doc.add_heading("Incidents by category and service area", level=1)
    _table(
        doc,
        ["Service area", *categories, "Total"],
        _pivot(f["incidents_by_month_category"], "service_area", "category_label", "incidents", categories),
    )
    if f["incidents_by_month_category"]:
        _chart(doc, charts.incidents_by_month(f["incidents_by_month_category"]))
        _chart(
            doc,
            charts.by_service_area(
                f["incidents_by_month_category"],
                "incidents",
                "category",
                "Incidents in the period by service area",
                "Incidents",
            ),
        )


def _equality(doc, f: dict, categories: list[str]) -> None:
    doc.add_heading("Equality impact: by recorded vulnerability", level=1)
    doc.add_paragraph(
        "Customers with more than one recorded vulnerability are counted under each. "
        "Compare each group's share of incidents with its share of restrictions and appeals."
    )
    doc.add_heading("Incidents by category", level=2)
    _table(
        doc,
        ["Recorded vulnerability", *categories, "Total"],
        _pivot(f["incidents_by_vulnerability"], "vulnerability", "category_label", "incidents", categories),
    )
    doc.add_heading("Active restrictions", level=2)
    _table(
        doc,
        ["Recorded vulnerability", "Active restrictions"],
        [[r["vulnerability"], r["active"]] for r in f["restrictions_by_vulnerability"]],
    )
    doc.add_heading("Appeals by outcome", level=2)
    outcomes = sorted({r["outcome"] for r in f["appeals_by_vulnerability"]})
    _table(
        doc,
        ["Recorded vulnerability", *outcomes, "Total"],
        _pivot(f["appeals_by_vulnerability"], "vulnerability", "outcome", "appeals", outcomes),
    )


def governance_report(
    actor: Actor,
    start: dt.date,
    end: dt.date,
    uow: UnitOfWork,
    today: dt.date | None = None,
    service_area_id: int | None = None,
) -> bytes:
    """The report for the period start..end (normally a quarter) as .docx bytes."""
    require(actor, Permission.VIEW_MONITORING)
    today = today or dt.date.today()
    f = governance_figures(actor, Filters(start, end, service_area_id), uow, today)
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading("Unacceptable Behaviour Policy: governance report", level=0)
    doc.add_paragraph(
        f"Period: {start:%d %B %Y} to {end:%d %B %Y}. Figures as of {today:%d %B %Y}. "
        f"Prepared by {actor.name}."
    )
    categories = [c.label for c in Category]
    _summary(doc, f["kpis"])
    _restrictions_and_reviews(doc, f)
    _appeals(doc, f)
    _incidents(doc, f, categories)
    _equality(doc, f, categories)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _sum_by(rows: list[dict], key: str) -> list[dict]:
    totals: dict[str, dict] = {}
    for r in rows:
        t = totals.setdefault(r[key], {key: r[key]} | {k: 0 for k, v in r.items() if isinstance(v, int)})
        for k, v in r.items():
            if isinstance(v, int):
                t[k] += v
    return [totals[k] for k in sorted(totals)]


def report_filename(start: dt.date, end: dt.date) -> str:
    return f"governance-report-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.docx"
