"""The SPOC and PVP registers' rules (clauses 4.1, 4.2 and 5) as pure functions over plain values."""

from __future__ import annotations

import datetime as dt

from core.enums import Behaviour, ReviewOutcome
from core.errors import PolicyError
from core.policy.deadlines import REVIEW_MAX_MONTHS, add_months

DUE_SOON_DAYS = 30  # "due for review": the review date falls in the next 30 days
PVP_MAX_MONTHS = REVIEW_MAX_MONTHS
DEFAULT_SPOC_REVIEW_MONTHS = 6  # offered on the forms; the policy allows 3 to 12 months
DEFAULT_PVP_REVIEW_MONTHS = PVP_MAX_MONTHS

# The outcomes a review of a live SPOC or PVP entry can record; lifting (or no further action)
# ends the entry, the others keep it live with a new review date.
SPOC_REVIEW_OUTCOMES = (ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT)
PVP_REVIEW_OUTCOMES = (ReviewOutcome.CONTINUE, ReviewOutcome.VARY, ReviewOutcome.LIFT)
ENDING_OUTCOMES = frozenset({ReviewOutcome.LIFT, ReviewOutcome.NO_FURTHER_ACTION})

# The PVP queue shows the most serious considerations first: actual physical violence against a
# person before violence to property, threats or abuse (issue 15).
MOST_SERIOUS_BEHAVIOURS = (Behaviour.PHYSICAL_VIOLENCE,)

OVERDUE, DUE_SOON, IN_DATE, ENDED = "overdue", "due_soon", "in_date", "ended"
REVIEW_STATE_LABELS = {
    OVERDUE: "Review overdue",
    DUE_SOON: "Review due in the next 30 days",
    IN_DATE: "In date",
    ENDED: "Ended",
}


def review_state(review_due: dt.date | None, today: dt.date, *, active: bool = True) -> str:
    """Overdue once the review date has passed; due soon within the next 30 days."""
    if not active:
        return ENDED
    if review_due is None:
        return IN_DATE
    if review_due < today:
        return OVERDUE
    if review_due <= due_soon_until(today):
        return DUE_SOON
    return IN_DATE


def due_soon_until(today: dt.date) -> dt.date:
    """The last review date that still counts as "due in the next 30 days"."""
    return today + dt.timedelta(days=DUE_SOON_DAYS)


def default_spoc_review_due(starts_on: dt.date) -> dt.date:
    """The review date a SPOC form offers: six months after the start (3 to 12 allowed)."""
    return add_months(starts_on, DEFAULT_SPOC_REVIEW_MONTHS)


def default_pvp_review_due(starts_on: dt.date) -> dt.date:
    """The review date a PVP form offers: the latest the policy allows, 12 months on."""
    return add_months(starts_on, DEFAULT_PVP_REVIEW_MONTHS)


def review_ends_entry(outcome: ReviewOutcome) -> bool:
    """Lifting a SPOC or PVP entry (or no further action) takes it off the register."""
    return outcome in ENDING_OUTCOMES


def spoc_request_problems(
    *,
    stage_is_formal: bool,
    case_closed: bool,
    reason: str,
    evidence_count: int,
    stray_incidents: list[int],
    hearsay_incidents: list[int],
    already_pending: bool,
    already_active: bool,
) -> list[str]:
    """Clause 5: a SPOC is considered at the formal stage, with a clear reason and evidence."""
    problems: list[str] = []
    if case_closed:
        problems.append("The case is closed: a SPOC cannot be requested on a closed case.")
    elif not stage_is_formal:
        problems.append(
            "A SPOC is considered at the formal stage (clause 5): request it as the "
            "formal-stage decision (Take formal action), or once the case is at the formal stage."
        )
    if not reason:
        problems.append("Give a clear reason for the SPOC request.")
    if evidence_count == 0:
        problems.append("Link at least one recorded incident as evidence for the SPOC request.")
    if stray_incidents:
        problems.append(
            "These incidents are not this customer's: " + ", ".join(f"#{i}" for i in stray_incidents) + "."
        )
    if hearsay_incidents:
        problems.append(
            "Hearsay cannot be used as evidence (clauses 4.2 and 6): remove incidents "
            + ", ".join(f"#{i}" for i in hearsay_incidents)
            + "."
        )
    if already_pending:
        problems.append(
            "A SPOC request for this customer is already waiting for the Data Management Officer's decision."
        )
    if already_active:
        problems.append("This customer already has an active SPOC on the register: review or end it instead.")
    return problems


def spoc_decision_problems(
    *,
    approve: bool,
    meeting_on: dt.date | None,
    requested_on: dt.date,
    today: dt.date,
    attendees: str,
    discussion: str,
    decision_reason: str,
    spoc_officer_ok: bool,
    channels: list,
    starts_on: dt.date | None,
) -> list[str]:
    """The SPOC review meeting must be recorded in full before a decision is taken."""
    problems: list[str] = []
    if meeting_on is None:
        problems.append("Record the date of the SPOC review meeting.")
    elif meeting_on > today:
        problems.append("The SPOC review meeting date cannot be in the future.")
    elif meeting_on < requested_on:
        problems.append(
            f"The SPOC review meeting cannot be before the request was made ({requested_on:%d %B %Y})."
        )
    if not attendees:
        problems.append("Record who attended the SPOC review meeting.")
    if not discussion:
        problems.append("Record what was discussed at the SPOC review meeting.")
    if not decision_reason:
        problems.append("Record the reason for the decision.")
    if approve:
        if not spoc_officer_ok:
            problems.append("Name the single point of contact: an active member of staff.")
        if not channels:
            problems.append("Choose at least one channel the customer may use to contact the SPOC.")
        if starts_on is None:
            problems.append("Give the date the SPOC starts.")
        elif meeting_on is not None and starts_on < meeting_on:
            problems.append("The SPOC cannot start before the review meeting that approved it.")
    return problems


def check_pvp_review_date(starts_on: dt.date, review_due: dt.date | None) -> dt.date:
    """A PVP entry is reviewed at most 12 months after it starts (or after the latest incident)."""
    if review_due is None:
        raise PolicyError("Give the PVP entry's review date.")
    latest = add_months(starts_on, PVP_MAX_MONTHS)
    if not starts_on < review_due <= latest:
        raise PolicyError(
            "The PVP review date must be after the start and at most 12 months later "
            f"({starts_on:%d %B %Y} to {latest:%d %B %Y})."
        )
    return review_due


def pvp_notice_problems(
    *,
    notify: bool,
    not_notified_reason: str,
    reconsider_on: dt.date | None,
    today: dt.date,
    review_due: dt.date | None,
) -> list[str]:
    """The customer is told in writing unless telling them would itself create a risk;
    then the reason is recorded with a date to reconsider."""
    if notify:
        return []
    problems: list[str] = []
    if not not_notified_reason:
        problems.append("Record why telling the customer would itself create a risk.")
    if reconsider_on is None:
        problems.append("Give a date to reconsider telling the customer.")
    elif reconsider_on <= today:
        problems.append("The date to reconsider telling the customer must be in the future.")
    elif review_due is not None and reconsider_on > review_due:
        problems.append(
            f"Reconsider telling the customer no later than the entry's review date ({review_due:%d %B %Y})."
        )
    return problems


def customer_notice_text(
    notified_on: dt.date | None, not_notified_reason: str, reconsider_on: dt.date | None
) -> str:
    """Where the customer notice stands, in words for the register."""
    if notified_on:
        return f"Told in writing {notified_on:%d %b %Y}"
    if not_notified_reason:
        return f"Not told; reconsider by {reconsider_on:%d %b %Y}" if reconsider_on else "Not told"
    return ""


def restarted_pvp_review(current_due: dt.date | None, incident_date: dt.date) -> dt.date:
    """A new violent incident restarts the 12-month clock; it never shortens an existing one."""
    restarted = add_months(incident_date, PVP_MAX_MONTHS)
    return max(current_due, restarted) if current_due else restarted
