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

from core.enums import SubjectType
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
from core.services.timeline_render import (  # noqa: F401  (Names, fmt_day: public names)
    Names,
    _annotation,
    _appeal,
    _attachment,
    _contact,
    _formal_action,
    _incident,
    _letter,
    _partner,
    _pvp_consideration,
    _pvp_entry,
    _referral,
    _review,
    _spoc_entry,
    _spoc_request,
    _stage,
    fmt_day,
)

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


def _reviews_of(customer_id: int) -> Any:
    spoc = select(SpocEntry.id).where(SpocEntry.customer_id == customer_id)
    pvp = select(PvpEntry.id).where(PvpEntry.customer_id == customer_id)
    return or_(
        Review.case_id.in_(select(Case.id).where(Case.customer_id == customer_id)),
        and_(Review.subject_type == SubjectType.SPOC_ENTRY, Review.subject_id.in_(spoc)),
        and_(Review.subject_type == SubjectType.PVP_ENTRY, Review.subject_id.in_(pvp)),
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
