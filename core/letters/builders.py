"""One facts builder per letter type. Each takes the records its letter is about, already
loaded (core/services/letters/facts.py loads them), and returns the letter's own part of the
context, its facts and its suggested paragraphs. Pure: no session, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.enums import FormalActionType, ReviewOutcome, channel_labels
from core.errors import PolicyError
from core.letters import wording as W
from core.letters.facts import Body
from core.policy.deadlines import appeal_deadline

NO_EVIDENCE = (
    "This decision has no first-hand or trusted third-party incident on record to "
    "describe; hearsay cannot be used in a letter."
)


def _stage_body(
    event,
    incidents: list[dict],
    context: dict,
    facts: list[tuple[str, str]],
    defaults: list[str],
    about_spoc: bool = False,
) -> Body:
    """The part every stage letter shares: the decision and the incidents relied on."""
    if not incidents:
        raise PolicyError(NO_EVIDENCE)
    decided = W.british_date(event.decided_on)
    shared = [("Decision", f"{event.to_stage.label}, {decided}")]
    shared += [("Incident", f"{i['date']} ({i['channel']}): {i['behaviours']}") for i in incidents]
    return Body(
        event.id,
        {"incidents": incidents, "decision_date": decided, **context},
        shared + facts,
        defaults,
        about_spoc,
        event.decided_by,
    )


def informal_summary(event, incidents: list[dict], referrals: Sequence[tuple[str, str]]) -> Body:
    """Appendix A: the summary of the informal conversation. `referrals` are (what, service area)."""
    defaults = [
        (
            "We talked about what happened, why this behaviour is unacceptable, how we expect "
            "you to behave towards our staff in future, and what we will do if it happens again."
        )
    ]
    defaults += [
        f"We also talked about the service issue behind this: {what} This has been referred "
        f"to {area} to deal with as a matter of urgency. The expectation that the "
        "unacceptable behaviour must stop does not change."
        for what, area in referrals
    ]
    return _stage_body(
        event, incidents, {"conversation_date": W.british_date(event.decided_on)}, [], defaults
    )


def warning(event, incidents: list[dict], previous: list[dict], review_due: dt.date | None) -> Body:
    """Appendix B: the Fair Treatment Letter, with the earlier informal-stage incidents."""
    if review_due is None:
        raise PolicyError(
            "Set the warning's review date before drafting the Fair Treatment "
            "Letter: the letter must state the review timescale."
        )
    dates = W.join_words(dict.fromkeys(i["date"] for i in previous))
    context = {
        "previous_incidents": previous,
        "previous_incident_dates": dates,
        "review_date": W.british_date(review_due),
    }
    facts: list[tuple[str, str]] = [("Review date", W.british_date(review_due))]
    facts += [("Previous incidents", dates)] if previous else []
    defaults = [
        (
            "While we understand that you may be frustrated, the manner in which you dealt with "
            "our staff is unacceptable and our staff should not have to put up with it."
        )
    ]
    return _stage_body(event, incidents, context, facts, defaults)


def formal(
    event,
    incidents: list[dict],
    actions: Sequence,
    warning_on: dt.date | None,
    spoc_requested: bool = False,
) -> Body:
    """The formal-stage letter: the restrictions, their terms and review dates, and any single point
    of contact asked of the Data Management Officer (not in force until approved: clause 5)."""
    if not actions and not spoc_requested:
        raise PolicyError(
            "This formal-stage decision has no restrictions on record; add the "
            "actions (with terms and review dates) before drafting."
        )
    restrictions = [
        {
            "kind": a.kind.label,
            "terms": a.terms or a.kind.label,
            "starts_on": W.british_date(a.starts_on),
            "review_due": W.british_date(a.review_due),
        }
        for a in actions
    ]
    facts = [("Restriction", f"{r['kind']}: {r['terms']} (review {r['review_due']})") for r in restrictions]
    defaults = (
        []
        if event.skip_reason
        else ["Despite our earlier contact with you about your behaviour, it has continued."]
    )
    if spoc_requested:
        facts.append(("SPOC", "Requested from the Data Management Officer; not in force until approved"))
        defaults.append(
            "We have asked our Data Management Officer to consider providing you with a single point "
            "of contact. It will be discussed at a review meeting; if it is approved we will write to "
            "you with who it is, how and when to contact them, and when it will be reviewed."
        )
    return _stage_body(
        event,
        incidents,
        {"restrictions": restrictions, "warning_date": W.british_date(warning_on)},
        facts,
        defaults,
        spoc_requested or any(a.kind == FormalActionType.SPOC for a in actions),
    )


def _appeal_context(appeal, decision: tuple[str, dt.date | None, bool], service_area: str) -> dict:
    words, decided_on, about_spoc = decision
    window_ended = appeal_deadline(decided_on) if decided_on else None
    late_note = (
        f"We have accepted it: {appeal.late_accepted_reason}"
        if appeal.late_accepted_reason
        else "We have recorded it as a late appeal."
    )
    maker_title = W.assistant_director(service_area, about_spoc)[4:]
    return {
        "received_on": W.british_date(appeal.received_on),
        "decision": words,
        "decision_date": W.british_date(decided_on),
        "window_ended": W.british_date(window_ended),
        "late": bool(appeal.late),
        "late_note": late_note,
        "decision_maker": f"{appeal.decision_maker.name}, {maker_title}",
        "decision_due": W.british_date(appeal.due_on),
        "decided_on": W.british_date(appeal.decided_on),
        "outcome": W.APPEAL_OUTCOME_WORDS.get(appeal.outcome, ""),
        "grounds": appeal.grounds,
    }


def appeal_ack(appeal, decision: tuple[str, dt.date | None, bool], service_area: str) -> Body:
    """The acknowledgement: what is appealed, who decides, and by when.
    `decision` is (what was decided, its date, whether it is about a SPOC)."""
    ctx = _appeal_context(appeal, decision, service_area)
    facts = [
        ("Appeal received", ctx["received_on"]),
        ("Against", f"{ctx['decision']} of {ctx['decision_date']}"),
        ("Decision maker", ctx["decision_maker"]),
        ("Decision due by", ctx["decision_due"]),
    ]
    return Body(appeal.id, {"appeal": ctx}, facts, about_spoc=decision[2])


def appeal_outcome(appeal, decision: tuple[str, dt.date | None, bool], service_area: str) -> Body:
    """The appeal's outcome, with the decision maker's notes as the suggested paragraph."""
    ctx = _appeal_context(appeal, decision, service_area)
    facts = [
        ("Appeal received", ctx["received_on"]),
        ("Against", f"{ctx['decision']} of {ctx['decision_date']}"),
        ("Decision maker", ctx["decision_maker"]),
        ("Decided on", ctx["decided_on"]),
        ("Outcome", appeal.outcome.label),
    ]
    defaults = [appeal.decision_notes] if appeal.decision_notes else []
    return Body(appeal.id, {"appeal": ctx}, facts, defaults, about_spoc=decision[2])


def review_outcome(review, subject: tuple[str, bool]) -> Body:
    """A review's outcome. `subject` is (what was reviewed, in words; whether it is a SPOC)."""
    if review.outcome in (ReviewOutcome.VARY, ReviewOutcome.CONTINUE) and review.next_review_due is None:
        raise PolicyError(
            "A varied or continued arrangement needs its next review date before the letter can be drafted."
        )
    ctx = {
        "subject": subject[0],
        "held_on": W.british_date(review.held_on),
        "outcome": review.outcome.label,
        "outcome_code": review.outcome.value,
        "next_review_due": W.british_date(review.next_review_due),
    }
    facts = [("Review of", subject[0]), ("Held on", ctx["held_on"]), ("Outcome", review.outcome.label)]
    if review.next_review_due:
        facts.append(("Next review", ctx["next_review_due"]))
    return Body(
        review.id, {"review": ctx}, facts, [review.notes] if review.notes else [], about_spoc=subject[1]
    )


def third_party(contact) -> Body:
    """The arrangement to contact the customer through someone they chose
    (a core.services.arrangements.ThirdParty: an arrangement in force)."""
    ctx = {
        "name": contact.name,
        "relationship": contact.relationship or "your chosen contact",
        "started_on": W.british_date(contact.started_on),
    }
    facts = [("Third party", f"{contact.name} ({ctx['relationship']})"), ("From", ctx["started_on"])]
    return Body(contact.contact_id, {"contact": ctx}, facts)


def pvp_notice(entry) -> Body:
    """The notice to the customer that a PVP marker is on their record, and how to challenge it."""
    if entry.review_due is None or entry.starts_on is None:
        raise PolicyError("The PVP entry needs its start and review dates before the notice is drafted.")
    arrangements = entry.arrangements or (
        "Two officers will attend any visit to you." if entry.two_officers_on_visits else ""
    )
    ctx = {
        "starts_on": W.british_date(entry.starts_on),
        "review_due": W.british_date(entry.review_due),
        "reasons": entry.reasons,
        "arrangements": arrangements or "Our staff will take extra care when they visit or meet you.",
    }
    facts = [
        ("PVP marker from", ctx["starts_on"]),
        ("Review date", ctx["review_due"]),
        ("Arrangements", ctx["arrangements"]),
    ]
    return Body(entry.id, {"pvp": ctx}, facts)


def staff_notice(customer_id: int, lines: list[str]) -> Body:
    """Clause 4.2: what staff and contractors must do, never why (see wording.staff_lines)."""
    if not lines:
        raise PolicyError(
            "No arrangements are in force for this customer, so there is nothing to "
            "tell staff and contractors."
        )
    return Body(customer_id, {"arrangements": lines}, [("Arrangement", a) for a in lines], dated=False)


def spoc(entry, officer) -> Body:
    """Clause 5: the SPOC the DMO approved and put on the register: who, how, when, the limits,
    start and review date; appeals go to the AD for Corporate Service and ICT (issue 13)."""
    ctx = {
        "officer_name": officer.name,
        "officer_contact": W.officer(officer)["contact"],
        "channels": W.join_words(channel_labels(entry.channels)) or "as agreed with you",
        "contact_times": entry.contact_times or "Normal office hours",
        "contact_limit": entry.contact_limit or "None beyond the channels and times above",
        "terms": entry.terms,
        "starts_on": W.british_date(entry.starts_on),
        "review_due": W.british_date(entry.review_due),
    }
    facts = [
        ("Single point of contact", ctx["officer_name"]),
        ("Channels", ctx["channels"]),
        ("Times", ctx["contact_times"]),
        ("Limits", ctx["contact_limit"]),
        ("Starts", ctx["starts_on"]),
        ("Review date", ctx["review_due"]),
    ]
    return Body(entry.id, {"spoc": ctx}, facts, about_spoc=True)


def closure(event, remaining: list[str]) -> Body:
    """Clause 2.2: the case is closed and normal arrangements are restored (or what still runs)."""
    closed_on = W.british_date(event.decided_on)
    ctx = {"closed_on": closed_on, "remaining": list(remaining)}
    facts = [("Case closed", closed_on)] + [("Still in force", r) for r in remaining]
    return Body(event.id, {"closure": ctx}, facts, responsible=event.decided_by)


__all__ = [
    "NO_EVIDENCE",
    "spoc",
    "closure",
    "informal_summary",
    "warning",
    "formal",
    "appeal_ack",
    "appeal_outcome",
    "review_outcome",
    "third_party",
    "pvp_notice",
    "staff_notice",
]
