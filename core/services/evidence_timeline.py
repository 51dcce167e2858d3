"""Typed timeline events for issue 16's records (contacts, notes, attachments, partner-agency
actions), for core.services.timeline to merge: `timeline_events_for(uow, customer_id, ...)`.
No permission check: the timeline service checks VIEW_CASES before calling."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums_evidence import EntryKind
from core.models import Attachment, ContactLog, PartnerReferral, User


@dataclass(frozen=True)
class TimelineEvent:
    at: dt.datetime
    kind: str  # "contact", "note", "attachment", "partner"
    title: str
    details: str
    source_type: str  # the table: contact_log, attachment, partner_referral
    source_id: int
    recorded_by: str = ""
    flagged: bool = False  # a contact outside the arrangement
    flags: tuple[str, ...] = ()
    amended_at: dt.datetime | None = None


def _on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _within(at: dt.datetime, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or at.date() >= date_from) and (date_to is None or at.date() <= date_to)


def _contacts(uow: UnitOfWork, customer_id: int) -> list[TimelineEvent]:
    rows = uow.session.execute(
        select(ContactLog, User.name)
        .join(User, User.id == ContactLog.staff_id)
        .where(ContactLog.customer_id == customer_id)
    ).all()
    events = []
    for e, staff in rows:
        is_note = e.kind == EntryKind.NOTE
        title = (
            f"Note ({e.channel.label.lower()})"
            if is_note
            else f"{e.channel.label} {e.direction.label.lower()}"
        )
        if e.duration_minutes is not None:
            title += f", {e.duration_minutes} min"
        if e.outside_arrangement:
            title += ": outside the arrangement"
        details = f"{e.with_whom}: {e.summary}" if e.with_whom else e.summary
        events.append(
            TimelineEvent(
                e.occurred_at,
                "note" if is_note else "contact",
                title,
                details,
                "contact_log",
                e.id,
                staff,
                e.outside_arrangement,
                tuple(e.outside_reasons or ()),
                e.amended_at,
            )
        )
    return events


def _attachments(uow: UnitOfWork, customer_id: int) -> list[TimelineEvent]:
    rows = uow.session.execute(
        select(
            Attachment.id,
            Attachment.filename,
            Attachment.media_type,
            Attachment.size_bytes,
            Attachment.subject_type,
            Attachment.subject_id,
            Attachment.uploaded_at,
            User.name,
        )
        .join(User, User.id == Attachment.uploaded_by_id)
        .where(Attachment.customer_id == customer_id)
    ).all()
    return [
        TimelineEvent(
            r.uploaded_at,
            "attachment",
            f"File attached: {r.filename}",
            f"{r.media_type}, {r.size_bytes:,} bytes, on {r.subject_type} {r.subject_id}",
            "attachment",
            r.id,
            r.name,
        )
        for r in rows
    ]


def _partners(uow: UnitOfWork, customer_id: int) -> list[TimelineEvent]:
    rows = uow.session.execute(
        select(PartnerReferral, User.name)
        .join(User, User.id == PartnerReferral.recorded_by_id)
        .where(PartnerReferral.customer_id == customer_id)
    ).all()
    events = []
    for p, name in rows:
        ref = f" (ref {p.reference})" if p.reference else ""
        events.append(
            TimelineEvent(
                _on(p.made_on),
                "partner",
                f"{p.agency.label}: {p.action.label.lower()}{ref}",
                p.details,
                "partner_referral",
                p.id,
                name,
            )
        )
        if p.outcome_on:
            events.append(
                TimelineEvent(
                    _on(p.outcome_on),
                    "partner",
                    f"{p.agency.label}: outcome",
                    p.outcome,
                    "partner_referral",
                    p.id,
                    name,
                )
            )
        if p.court_date:
            events.append(
                TimelineEvent(
                    _on(p.court_date),
                    "partner",
                    f"{p.agency.label}: court date",
                    "",
                    "partner_referral",
                    p.id,
                    name,
                )
            )
    return events


def timeline_events_for(
    uow: UnitOfWork,
    customer_id: int,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[TimelineEvent]:
    """Issue 16's events for one customer, oldest first. Call inside an open `with uow:`."""
    events = _contacts(uow, customer_id) + _attachments(uow, customer_id) + _partners(uow, customer_id)
    return sorted(
        (e for e in events if _within(e.at, date_from, date_to)),
        key=lambda e: (e.at, e.source_type, e.source_id),
    )
