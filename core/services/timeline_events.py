"""The readers behind the case timeline: one small source per kind of event (incidents, stage
changes, formal actions, appeals, letters, SPOC and PVP register rows, reviews, referrals,
third-party contact, annotations). Each source says which table and date column it reads and how
one row becomes a `TimelineEvent`; `core.services.timeline` pages through all of them in SQL
(each source ordered and limited in the database, then merged), so a customer with 200,000
events costs one page of rows, not 200,000."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, or_, select, true
from sqlalchemy.orm import defer, selectinload

from core.models import (
    Annotation,
    Appeal,
    Case,
    FormalAction,
    Incident,
    Letter,
    PvpConsideration,
    PvpEntry,
    Review,
    ServiceReferral,
    SpocEntry,
    SpocRequest,
    StageEvent,
    ThirdPartyContact,
)
from core.models.evidence import Attachment, ContactLog, PartnerReferral
from core.readmodel import ReadModel

# kind code -> label, in the order the filter offers them
EVENT_TYPES: dict[str, str] = {
    "incident": "Incident",
    "stage": "Stage change",
    "formal_action": "Formal action",
    "letter": "Letter",
    "appeal": "Appeal",
    "review": "Review",
    "referral": "Service referral",
    "spoc": "SPOC register",
    "pvp": "PVP register",
    "third_party": "Third-party contact",
    "annotation": "Annotation",
    "contact": "Contact or note",
    "attachment": "Attachment",
    "partner": "Partner agency",
}
NOT_EVIDENCE = "Hearsay or opinion: not evidence, never counts towards a decision"


@dataclass(frozen=True)
class TimelineEvent(ReadModel):
    """One entry on the timeline. `at` is when it happened (dates at midnight UTC)."""

    kind: str
    at: dt.datetime
    title: str
    details: str
    recorded_by: str
    not_evidence: bool
    entity_type: str
    entity_id: int
    amended_at: dt.datetime | None = None
    amended_by: str = ""
    source: int = 0  # which reader made it: the tie-break after `at` when merging

    @property
    def type(self) -> str:
        return EVENT_TYPES[self.kind]

    @property
    def evidence(self) -> str:
        return NOT_EVIDENCE if self.not_evidence else ""

    @property
    def amended(self) -> str:
        return f"amended on {self.amended_at:%d %b %Y %H:%M} by {self.amended_by}" if self.amended_at else ""

    @property
    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.at, self.source, self.entity_id)


def as_datetime(day: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day if day.tzinfo else day.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)


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


Render = Callable[[Any, Names], tuple[str, str, str]]  # row -> (title, details, recorded_by)


@dataclass(frozen=True)
class Source:
    """One kind of row on the timeline: the table, the column it is dated by, the rows that
    belong to a customer, and how one row reads."""

    kind: str
    entity_type: str
    model: Any
    at: Any  # the dating column
    is_date: bool
    scope: Callable[[int], Any]  # customer id -> where clause
    render: Render
    base: Callable[[], Select] | None = None  # select with joins/options (default: the model)
    not_evidence: Callable[[Any], bool] = lambda row: False
    amended: Callable[[Any, Names], tuple[dt.datetime, str] | None] = lambda row, names: None

    def select(self) -> Select:
        return self.base() if self.base else select(self.model)

    # -- the window of rows a page may take, as SQL conditions on the dating column --------------
    def _cmp(self, op: str, when: dt.datetime) -> Any:
        col = self.at
        if not self.is_date:
            return {
                "<": col < when,
                "<=": col <= when,
                ">": col > when,
                ">=": col >= when,
                "==": col == when,
            }[op]
        day, midnight = when.date(), when.timetz().replace(tzinfo=None) == dt.time(0, 0)
        return {
            "<": col < day if midnight else col <= day,
            "<=": col <= day,
            ">": col > day,
            ">=": col >= day if midnight else col > day,
            "==": col == day if midnight else false(),
        }[op]

    def in_dates(self, date_from: dt.date | None, date_to: dt.date | None) -> Any:
        start = as_datetime(date_from) if date_from else None
        end = as_datetime(date_to + dt.timedelta(days=1)) if date_to else None
        return and_(self._cmp(">=", start) if start else true(), self._cmp("<", end) if end else true())

    def beyond(self, cursor: tuple[dt.datetime, int, int], index: int, newest_first: bool) -> Any:
        """Rows after `cursor` (at, source, id) in the page order."""
        at, source, entity_id = cursor
        strict, loose, id_after = (
            ("<", "<=", self.model.id < entity_id) if newest_first else (">", ">=", self.model.id > entity_id)
        )
        if index == source:
            return or_(self._cmp(strict, at), and_(self._cmp("==", at), id_after))
        ahead = index < source if newest_first else index > source
        return self._cmp(loose if ahead else strict, at)


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


def _reviews_of(customer_id: int) -> Any:
    spoc = select(SpocEntry.id).where(SpocEntry.customer_id == customer_id)
    pvp = select(PvpEntry.id).where(PvpEntry.customer_id == customer_id)
    return or_(
        Review.case_id.in_(select(Case.id).where(Case.customer_id == customer_id)),
        and_(Review.subject_type.in_(("spoc", "spoc_entry")), Review.subject_id.in_(spoc)),
        and_(Review.subject_type.in_(("pvp", "pvp_entry")), Review.subject_id.in_(pvp)),
    )


def _in_cases(column: Any) -> Callable[[int], Any]:
    return lambda cid: column.in_(select(Case.id).where(Case.customer_id == cid))


SOURCES: tuple[Source, ...] = (
    Source(
        "incident",
        "incident",
        Incident,
        Incident.occurred_at,
        False,
        lambda cid: Incident.customer_id == cid,
        _incident,
        base=lambda: select(Incident).options(selectinload(Incident.behaviours)),
        not_evidence=lambda i: not i.counts_as_evidence,
        amended=lambda i, n: (i.amended_at, n.who(i.amended_by_id)) if i.amended_at else None,
    ),
    Source(
        "stage", "stage_event", StageEvent, StageEvent.decided_on, True, _in_cases(StageEvent.case_id), _stage
    ),
    Source(
        "formal_action",
        "formal_action",
        FormalAction,
        FormalAction.starts_on,
        True,
        _in_cases(FormalAction.case_id),
        _formal_action,
        base=lambda: select(FormalAction, StageEvent.decided_by_id).outerjoin(
            StageEvent, StageEvent.id == FormalAction.stage_event_id
        ),
    ),
    Source(
        "letter",
        "letter",
        Letter,
        Letter.created_at,
        False,
        lambda cid: Letter.customer_id == cid,
        _letter,
        base=lambda: select(Letter).options(defer(Letter.content)),
    ),
    Source("appeal", "appeal", Appeal, Appeal.received_on, True, _in_cases(Appeal.case_id), _appeal),
    Source("review", "review", Review, Review.held_on, True, _reviews_of, _review),
    Source(
        "referral",
        "service_referral",
        ServiceReferral,
        ServiceReferral.raised_at,
        False,
        lambda cid: ServiceReferral.customer_id == cid,
        _referral,
    ),
    Source(
        "spoc",
        "spoc_request",
        SpocRequest,
        SpocRequest.requested_at,
        False,
        lambda cid: SpocRequest.customer_id == cid,
        _spoc_request,
    ),
    Source(
        "spoc",
        "spoc_entry",
        SpocEntry,
        SpocEntry.starts_on,
        True,
        lambda cid: SpocEntry.customer_id == cid,
        _spoc_entry,
        base=lambda: select(SpocEntry, SpocRequest.decided_by_id).outerjoin(
            SpocRequest, SpocRequest.id == SpocEntry.request_id
        ),
    ),
    Source(
        "pvp",
        "pvp_consideration",
        PvpConsideration,
        PvpConsideration.raised_at,
        False,
        lambda cid: PvpConsideration.customer_id == cid,
        _pvp_consideration,
    ),
    Source(
        "pvp",
        "pvp_entry",
        PvpEntry,
        PvpEntry.proposed_at,
        False,
        lambda cid: PvpEntry.customer_id == cid,
        _pvp_entry,
    ),
    Source(
        "third_party",
        "third_party_contact",
        ThirdPartyContact,
        ThirdPartyContact.started_on,
        True,
        lambda cid: ThirdPartyContact.customer_id == cid,
        lambda t, n: (f"Contact via third party: {t.name}", t.relationship_to_customer.strip(), ""),
    ),
    Source(
        "third_party",
        "third_party_contact",
        ThirdPartyContact,
        ThirdPartyContact.stopped_on,
        True,
        lambda cid: and_(ThirdPartyContact.customer_id == cid, ThirdPartyContact.stopped_on.is_not(None)),
        lambda t, n: (f"Third-party contact stopped: {t.name}", t.stopped_reason, ""),
    ),
    Source(
        "annotation",
        "annotation",
        Annotation,
        Annotation.at,
        False,
        lambda cid: Annotation.customer_id == cid,
        _annotation,
    ),
    # issue 16: contacts and notes, evidence files (content never loaded here), partner agencies
    Source(
        "contact",
        "contact_log",
        ContactLog,
        ContactLog.occurred_at,
        False,
        lambda cid: ContactLog.customer_id == cid,
        _contact,
        amended=lambda c, n: (c.amended_at, n.who(c.amended_by_id)) if c.amended_at else None,
    ),
    Source(
        "attachment",
        "attachment",
        Attachment,
        Attachment.uploaded_at,
        False,
        lambda cid: Attachment.customer_id == cid,
        _attachment,
        base=lambda: select(Attachment).options(defer(Attachment.content)),
    ),
    Source(
        "partner",
        "partner_referral",
        PartnerReferral,
        PartnerReferral.made_on,
        True,
        lambda cid: PartnerReferral.customer_id == cid,
        _partner,
    ),
)


def event_from(source: Source, index: int, row: Any, names: Names) -> TimelineEvent:
    """One result row of a source (a record, or the record and joined values) as a timeline
    event; who amended a record without its own 'amended' columns is filled in from the audit."""
    row = row[0] if len(row) == 1 else row
    record = row if isinstance(row, source.model) else row[0]
    title, details, recorded_by = source.render(row, names)
    amended = source.amended(record, names)
    return TimelineEvent(
        kind=source.kind,
        at=as_datetime(getattr(record, source.at.key)),
        title=title,
        details=details,
        recorded_by=recorded_by,
        not_evidence=source.not_evidence(record),
        entity_type=source.entity_type,
        entity_id=record.id,
        amended_at=amended[0] if amended else None,
        amended_by=amended[1] if amended else "",
        source=index,
    )
