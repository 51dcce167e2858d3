"""How one row of each kind of timeline event reads: a renderer per source in
`core.services.timeline_events` (title, details, recorded by), plus the staff-name lookup
and the day format they share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.models import (
    Annotation,
    Appeal,
    Incident,
    Letter,
    PvpConsideration,
    PvpEntry,
    Review,
    ServiceReferral,
    SpocRequest,
    StageEvent,
)
from core.models.evidence import Attachment, ContactLog, PartnerReferral


def fmt_day(day: dt.date | dt.datetime | None) -> str:
    if day is None:
        return ""
    return f"{day:%d %b %Y %H:%M}" if isinstance(day, dt.datetime) else f"{day:%d %b %Y}"


class Names:
    """Staff and service-area names for the rows on one page (both small tables)."""

    def __init__(self, users: dict[int, str], areas: dict[int, str]) -> None:
        self.users, self.areas = users, areas

    def who(self, user_id: int | None) -> str:
        return self.users.get(user_id, "") if user_id else ""


def _incident(i: Incident, n: Names) -> tuple[str, str, str]:
    behaviours = "; ".join(x.behaviour.label for x in i.behaviours)
    source = i.evidence_source.label + (f": {i.third_party_name}" if i.third_party_name else "")
    parts = [
        f"{i.category.label}: {behaviours}",
        i.description,
        f"Channel: {i.channel.label}",
        f"Source: {source}",
    ]
    if i.witnesses:
        parts.append(f"Witnesses: {i.witnesses}")
    if i.staff_affected:
        parts.append(f"Staff affected: {i.staff_affected}")
    if i.violence_or_threat:
        police = (
            f"police reference {i.police_reference}"
            if i.police_reference
            else f"not referred to police: {i.police_not_referred_reason}"
        )
        parts.append(
            f"Violence or threat of violence; {police}; immediate adjustment to "
            "in-person contact; PVP register consideration raised"
        )
    if i.service_failure:
        parts.append("NPH service failure behind it: referred to the service area")
    return f"Incident ({i.category.label})", "\n".join(parts), n.who(i.recorded_by_id)


def _stage(e: StageEvent, n: Names) -> tuple[str, str, str]:
    parts = [e.reason] if e.reason else []
    if e.skip_reason:
        parts.append(f"Stage skipped because: {e.skip_reason}")
    if e.underlying_issues_considered:
        parts.append(
            "Underlying issues considered"
            + (f": {e.underlying_issues_notes}" if e.underlying_issues_notes else "")
        )
    if e.adjustments:
        parts.append(f"Adjustments: {e.adjustments}")
    if e.review_due:
        parts.append(f"Review due {fmt_day(e.review_due)}")
    return f"{e.from_stage.label} to {e.to_stage.label}", "\n".join(parts), n.who(e.decided_by_id)


def _formal_action(row: Any, n: Names) -> tuple[str, str, str]:
    a, decided_by = row
    parts = [a.terms] if a.terms else []
    parts.append(f"Status: {a.status.label}; review due {fmt_day(a.review_due)}")
    court = [
        f"{word} {fmt_day(day)}"
        for word, day in (
            ("issued", a.proceedings_issued_on),
            ("hearing", a.hearing_on),
            ("order", a.order_on),
        )
        if day
    ]  # issue 13: legal remedies
    if court:
        parts.append(" ".join(("Court", a.court_reference)).strip() + ": " + ", ".join(court))
    if a.ended_on:
        parts.append(f"Ended {fmt_day(a.ended_on)}: {a.ended_reason}")
    return a.kind.label, "\n".join(parts), n.who(decided_by)


def _appeal(ap: Appeal, n: Names) -> tuple[str, str, str]:
    parts = [ap.grounds] if ap.grounds else []
    parts.append(
        f"Against {ap.subject_type.replace('_', ' ')} #{ap.subject_id}; "
        f"decision due {fmt_day(ap.due_on)}; decided by {n.who(ap.decision_maker_id)}"
    )
    if ap.late:
        parts.append(
            "Received late"
            + (f"; accepted because {ap.late_accepted_reason}" if ap.late_accepted_reason else "")
        )
    if ap.outcome:
        parts.append(f"Outcome {fmt_day(ap.decided_on)}: {ap.outcome.label}. {ap.decision_notes}".strip())
    title = "Appeal received" + (f" ({ap.outcome.label})" if ap.outcome else "")
    return title, "\n".join(parts), n.who(ap.recorded_by_id)


def _letter(x: Letter, n: Names) -> tuple[str, str, str]:
    details = f"Status: {x.status}" + (f"; sent {fmt_day(x.sent_on)}" if x.sent_on else "")
    if x.filename:
        details += f"; file {x.filename}"
    return x.letter_type.label, details, n.who(x.author_id)


def _spoc_request(r: SpocRequest, n: Names) -> tuple[str, str, str]:
    parts = [r.reason, f"Status: {r.status.label}"]
    if r.meeting_on:
        parts.append(
            f"Review meeting {fmt_day(r.meeting_on)}" + (f" with {r.attendees}" if r.attendees else "")
        )
    if r.decision_reason:
        parts.append(f"Decision: {r.decision_reason}")
    return "SPOC requested", "\n".join(parts), n.who(r.requested_by_id)


def _spoc_entry(row: Any, n: Names) -> tuple[str, str, str]:
    e, decided_by = row
    parts = [
        f"Contact: {n.who(e.spoc_user_id)}; channels: {', '.join(map(str, e.channels or []))}",
        f"Status: {e.status.label}; review due {fmt_day(e.review_due)}",
    ]
    if e.terms:
        parts.append(e.terms)
    if e.ended_on:
        parts.append(f"Ended {fmt_day(e.ended_on)}: {e.ended_reason}")
    return "SPOC on the register", "\n".join(parts), n.who(decided_by)


def _pvp_consideration(c: PvpConsideration, n: Names) -> tuple[str, str, str]:
    details = f"From incident #{c.incident_id}; status: {c.status}"
    details += f"; {c.closed_reason}" if c.closed_reason else ""
    return "PVP register consideration raised", details, ""


def _pvp_entry(p: PvpEntry, n: Names) -> tuple[str, str, str]:
    parts = [p.reasons, f"Status: {p.status.label}"]
    if p.approved_at:
        parts.append(f"Approved by {n.who(p.approved_by_id)} on {fmt_day(p.approved_at)}")
    if p.review_due:
        parts.append(f"Review due {fmt_day(p.review_due)}")
    if p.ended_on:
        parts.append(f"Ended {fmt_day(p.ended_on)}: {p.ended_reason}")
    return f"PVP entry proposed ({p.flag_type})", "\n".join(parts), n.who(p.proposed_by_id)


def _review(r: Review, n: Names) -> tuple[str, str, str]:
    parts = [f"Outcome: {r.outcome.label}"]
    if r.evidence_considered:
        parts.append(f"Evidence considered: {r.evidence_considered}")
    if r.next_review_due:
        parts.append(f"Next review due {fmt_day(r.next_review_due)}")
    if r.notes:
        parts.append(r.notes)
    return f"Review of {r.subject_type.replace('_', ' ')}", "\n".join(parts), n.who(r.reviewed_by_id)


def _referral(r: ServiceReferral, n: Names) -> tuple[str, str, str]:
    status = (
        f"Resolved {fmt_day(r.resolved_at)} by {n.who(r.resolved_by_id)}: {r.resolution}"
        if r.resolved_at
        else "Open until marked resolved"
    )
    return (
        f"Service referral to {n.areas.get(r.service_area_id, '')}",
        f"{r.description}\n{status}",
        n.who(r.raised_by_id),
    )


def _annotation(a: Annotation, n: Names) -> tuple[str, str, str]:
    about = f"On {a.entity_type.replace('_', ' ')}" + (f" #{a.entity_id}" if a.entity_id else "")
    return "Annotation", f"{about}: {a.text}", n.who(a.by_id)


def _contact(c: ContactLog, n: Names) -> tuple[str, str, str]:
    title = c.kind.label if c.kind.value == "note" else f"{c.channel.label}, {c.direction.label.lower()}"
    if c.duration_minutes is not None:
        title += f", {c.duration_minutes} min"
    if c.outside_arrangement:
        title += ": OUTSIDE THE ARRANGEMENT (" + "; ".join(map(str, c.outside_reasons or ())) + ")"
    details = f"{c.with_whom}: {c.summary}" if c.with_whom else c.summary
    return title, details, n.who(c.staff_id)


def _attachment(a: Attachment, n: Names) -> tuple[str, str, str]:
    about = a.subject_type.replace("_", " ")
    return (
        f"Attachment: {a.filename}",
        f"{a.media_type}, on {about} #{a.subject_id}. {a.description}".strip(),
        n.who(a.uploaded_by_id),
    )


def _partner(p: PartnerReferral, n: Names) -> tuple[str, str, str]:
    parts = [
        f"Reference {p.reference}" if p.reference else "",
        p.details,
        f"Court date {p.court_date:%d %b %Y}" if p.court_date else "",
        f"Outcome: {p.outcome}" if p.outcome else "",
    ]
    return (
        f"{p.agency.label}: {p.action.label.lower()}",
        ". ".join(x for x in parts if x),
        n.who(p.recorded_by_id),
    )
