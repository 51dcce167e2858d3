"""How letters word things: British dates, lists in prose, paragraphs from a text box, and the
plain-English descriptions of people, incidents and decisions the templates print. Pure
functions over values or loaded records: no session, no clock."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from core.enums import AppealOutcome, FormalActionType, Stage

UK = ZoneInfo("Europe/London")
ORGANISATION = "Northampton Partnership Homes"
ICT_AD = "the Assistant Director for Corporate Service and ICT"

APPEAL_OUTCOME_WORDS = {
    AppealOutcome.UPHELD: "the original decision stands",
    AppealOutcome.VARIED: "the original decision has been varied, as set out below",
    AppealOutcome.OVERTURNED: "the original decision has been overturned and no longer applies",
}
STAGE_DECISION_WORDS = {
    Stage.INFORMAL: "our informal-stage decision",
    Stage.WARNING: "our Fair Treatment Letter (warning stage)",
    Stage.FORMAL: "our formal-stage decision",
    Stage.CLOSED: "our decision to close your case",
}


def british_date(day: dt.date | None) -> str:
    """27 March 2026 (no leading zero); '' for no date."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = (day if day.tzinfo else day.replace(tzinfo=dt.UTC)).astimezone(UK).date()
    return f"{day.day} {day:%B %Y}"


def join_words(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def split_paragraphs(text: str) -> list[str]:
    """Free text from one box: paragraphs separated by a blank line; single newlines kept."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def safe_filename_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "x"


def assistant_director(service_area: str, about_spoc: bool) -> str:
    """Who decides appeals: ICT's Assistant Director for a SPOC, otherwise the service area's."""
    if about_spoc:
        return ICT_AD
    return f"the Assistant Director for {service_area}"


def officer(user) -> dict:
    """The officer who signs (a loaded User)."""
    area = user.service_area.name if user.service_area else ORGANISATION
    return {
        "name": user.name,
        "job_title": user.role.label,
        "service_area": area,
        "email": user.email or "",
        "contact": f"email {user.email}" if user.email else f"via {ORGANISATION} customer services",
    }


def customer(record) -> dict:
    """The addressee (a loaded Customer)."""
    lines = [p for p in (record.address_line1, record.address_line2, record.town, record.postcode) if p]
    salutation = (
        f"{record.title} {record.last_name}" if record.title else f"{record.first_name} {record.last_name}"
    )
    return {
        "name": record.full_name,
        "first_name": record.first_name,
        "last_name": record.last_name,
        "salutation": salutation,
        "address_lines": lines,
        "address": ", ".join(lines),
        "housing_ref": record.housing_ref,
    }


def incident(record) -> dict:
    """One incident as a letter describes it (a loaded Incident)."""
    behaviours = [b.behaviour.label for b in record.behaviours] or [record.category.label]
    return {
        "date": british_date(record.occurred_at),
        "channel": record.channel.label,
        "behaviours": "; ".join(behaviours),
        "description": record.description,
        "category": record.category.label,
    }


def formal_action_words(action) -> tuple[str, dt.date | None, bool]:
    """(what was decided, the date, whether it is about a SPOC) for a formal action."""
    return (
        f"our decision to apply “{action.kind.label}”",
        action.starts_on,
        action.kind == FormalActionType.SPOC,
    )


def staff_lines(arrangements) -> list[str]:
    """The arrangements in force (core.services.arrangements.Arrangements) as a staff notice
    says them: what to do, in plain words, never why."""
    out = [
        f"{r.arrangement}"
        + (f": {r.terms}" if r.terms else "")
        + f" (until reviewed by {british_date(r.review_due)})."
        for r in arrangements.restrictions
    ]
    for spoc in arrangements.single_point_of_contact:
        parts = [
            f"Single point of contact: {spoc.contact}"
            + (f" ({spoc.email})" if spoc.email else "")
            + ". Pass any contact from the customer to them."
        ]
        parts += [f"Channels: {', '.join(spoc.channels)}."] if spoc.channels else []
        parts += [f"Times: {spoc.contact_times}."] if spoc.contact_times else []
        parts += [f"Limit: {spoc.contact_limit}."] if spoc.contact_limit else []
        parts += [spoc.terms] if spoc.terms else []
        out.append(" ".join(parts))
    if arrangements.two_officers_on_visits:
        out.append("Two officers on every visit; no lone working.")
    elif arrangements.red_flag:
        out.append("Red flag: take extra care when visiting or meeting this customer.")
    out += list(arrangements.visit_arrangements)
    for contact in arrangements.third_party_contact:
        relationship = f" ({contact.relationship})" if contact.relationship else ""
        out.append(f"Contact the customer through {contact.name}{relationship}.")
    return out
