"""The flag alert: shown first whenever anyone opens a flagged customer or starts an incident."""

from __future__ import annotations

import re

import streamlit as st

from core.services.arrangements import arrangements_for, has_arrangements
from ui.session import actor, uow

# Every character Markdown (CommonMark, GitHub extensions, Streamlit's :colour[...] and
# :material/...: directives, $LaTeX$) gives a meaning to: links `[x](url)`, images `![x](url)`,
# HTML `<img ...>`, entities `&lt;`, emphasis, headings, lists, tables, code.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def md_escape(text: object) -> str:
    """User free text shown inside markdown, with every markdown character escaped and line
    breaks folded into spaces. The one escaper: every page uses this (ui.customer_picker.md is
    this function)."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text or "").split()))


def visit_lines(view) -> list[str]:
    """The interim in-person arrangements, the red flag and visit arrangements
    (core.services.arrangements.Arrangements) as escaped markdown."""
    lines = [f"**Interim in-person arrangement: {md_escape(text)}**" for text in view.interim_in_person]
    if view.red_flag:
        lines.append("**Red flag: Potentially Violent Person register.**")
    if view.two_officers_on_visits:
        lines.append("**Two officers on all visits.**")
    return lines + [f"Visits: {md_escape(text)}" for text in view.visit_arrangements]


def contact_lines(view) -> list[str]:
    """The SPOC, restrictions and third-party contacts as escaped markdown lines."""
    lines = []
    for spoc in view.single_point_of_contact:
        parts = [", ".join(spoc.channels), spoc.contact_times, spoc.contact_limit]
        detail = "; ".join(md_escape(p) for p in parts if p)
        lines.append(
            f"**Single point of contact: {md_escape(spoc.contact)}**" + (f" ({detail})" if detail else "")
        )
        if spoc.terms:
            lines.append(f"SPOC terms: {md_escape(spoc.terms)}")
    lines += [
        f"{md_escape(r.arrangement)}" + (f": {md_escape(r.terms)}" if r.terms else "")
        for r in view.restrictions
    ]
    lines += [
        f"Contact via third party: {md_escape(t.name)}"
        + (f" ({md_escape(t.relationship)})" if t.relationship else "")
        for t in view.third_party_contact
    ]
    return lines


def arrangement_lines(view) -> list[str]:
    """The arrangements in force as escaped markdown lines (no reasons: there are none in the view)."""
    return visit_lines(view) + contact_lines(view)


def show_flag_alert(customer_id: int) -> None:
    """Call this before anything else on a customer or incident screen."""
    view = arrangements_for(actor(), customer_id, uow())
    if not has_arrangements(view):
        return
    st.error("**Arrangements in force**  \n" + "  \n".join(arrangement_lines(view)), icon=":material/flag:")
