"""Issue 16 items 1 and 2: the contact log and case notes (clause 2.3), checked against the
contact restrictions in force (clause 4.1). A contact outside the arrangement is marked,
counted on the case and listed for the restriction's review and the owner's home page.
Corrections work as incidents do: a reason, the earlier version in the audit log."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import ActionStatus, Channel, Stage
from core.enums_evidence import Direction, EntryKind
from core.errors import NotFound, PolicyError
from core.models import Case, ContactLog, Customer, FormalAction, User, utcnow
from core.permissions import Actor, Permission, require
from core.policy import contacts as rules
from core.services.evidence_timeline import TimelineEvent
from core.services.incidents import WordingToCheck, language_flags
from core.validation import clean_line, clean_text, not_in_future, parse_enum

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Europe/London")
MAX_SUMMARY = 4000


@dataclass
class NewContact:
    customer_id: int
    occurred_at: dt.datetime
    channel: str
    direction: str
    summary: str
    kind: str = EntryKind.CONTACT.value
    staff_id: int | None = None  # the staff member who made or took it (default: the recorder)
    duration_minutes: int | None = None  # calls
    with_whom: str = ""  # notes: the agency or person
    wording_checked: bool = False


@dataclass(frozen=True)
class ContactEntry:
    id: int
    customer_id: int
    case_id: int | None
    kind: EntryKind
    occurred_at: dt.datetime
    channel: Channel
    direction: Direction
    staff: str
    duration_minutes: int | None
    with_whom: str
    summary: str
    outside_arrangement: bool
    outside_reasons: tuple[str, ...]
    amended_at: dt.datetime | None


def _validated(new: NewContact, now: dt.datetime) -> dict:
    kind = parse_enum(EntryKind, new.kind, "Kind")
    direction = parse_enum(Direction, new.direction, "Direction")
    if kind == EntryKind.CONTACT and direction == Direction.INTERNAL:
        raise PolicyError("A contact is either from the customer or to the customer.")
    if new.occurred_at is None:
        raise PolicyError("Enter the date and time of the contact.")
    duration = new.duration_minutes
    if duration is not None and not 0 <= int(duration) <= 24 * 60:
        raise PolicyError("The duration of a call is between 0 and 1,440 minutes.")
    summary = clean_text(new.summary, "Summary", required=True, max_len=MAX_SUMMARY)
    flags = language_flags(summary)
    if flags and not new.wording_checked:
        raise WordingToCheck(flags)
    return {
        "kind": kind,
        "direction": direction,
        "channel": parse_enum(Channel, new.channel, "Channel"),
        "occurred_at": not_in_future(new.occurred_at, "Date and time", now),
        "summary": summary,
        "duration_minutes": int(duration) if duration is not None else None,
        "with_whom": clean_line(new.with_whom, "With whom"),
    }


def active_rules(session, customer_id: int) -> list[rules.ContactRule]:
    """The contact rules of the customer's restrictions that are or were in force."""
    actions = session.scalars(
        select(FormalAction)
        .join(Case, Case.id == FormalAction.case_id)
        .where(Case.customer_id == customer_id)
        .order_by(FormalAction.id)
    ).all()
    found = []
    for action in actions:
        ends_on = action.ended_on if action.status != ActionStatus.ACTIVE else None
        if action.status == ActionStatus.OVERTURNED:
            continue
        rule = rules.rule_from(action.id, action.details or {}, action.starts_on, ends_on)
        if rule is not None:
            found.append(rule)
    return found


def remark_contacts(uow: UnitOfWork, customer_id: int) -> int:
    """Check every contact of the customer against the restrictions; returns how many are outside."""
    entries = uow.session.scalars(
        select(ContactLog).where(ContactLog.customer_id == customer_id, ContactLog.kind == EntryKind.CONTACT)
    ).all()
    facts = [
        rules.ContactFact(
            e.id, e.occurred_at.astimezone(LOCAL), e.channel.value, e.direction == Direction.INBOUND
        )
        for e in entries
    ]
    verdicts = {v.contact_id: v for v in rules.check_contacts(active_rules(uow.session, customer_id), facts)}
    for entry in entries:
        verdict = verdicts[entry.id]
        entry.outside_arrangement = verdict.outside
        entry.outside_reasons = list(verdict.reasons)
        entry.formal_action_id = verdict.restriction_id
    uow.flush()
    return sum(1 for v in verdicts.values() if v.outside)


def log_contact(actor: Actor, new: NewContact, uow: UnitOfWork, now: dt.datetime | None = None) -> int:
    """Log a contact or a case note; returns its id. It joins the customer's open case, if any;
    every contact is checked against the restrictions in force."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    values = _validated(new, now)
    with uow:
        customer = uow.session.get(Customer, new.customer_id)
        if customer is None or customer.anonymised_at is not None:
            raise NotFound("No such customer.")
        staff_id = new.staff_id or actor.user_id
        if uow.session.get(User, staff_id) is None:
            raise PolicyError("Choose the staff member who made or took the contact.")
        case = uow.session.scalar(
            select(Case)
            .where(Case.customer_id == customer.id, Case.stage != Stage.CLOSED)
            .order_by(Case.id.desc())
            .limit(1)
        )
        entry = ContactLog(
            customer_id=customer.id,
            case_id=case.id if case else None,
            staff_id=staff_id,
            recorded_by_id=actor.user_id,
            **values,
        )
        uow.session.add(entry)
        uow.flush()
        remark_contacts(uow, customer.id)
        uow.audit(actor, f"log_{values['kind'].value}", entry, after=snapshot(entry))
        uow.commit()
        log.info("contact logged", extra={"contact_id": entry.id, "actor_id": actor.user_id})
        return entry.id


def correct_contact(
    actor: Actor,
    entry_id: int,
    changes: NewContact,
    reason: str,
    uow: UnitOfWork,
    now: dt.datetime | None = None,
) -> None:
    """Correct a contact or note (clause 6): a reason, the earlier version in the audit log."""
    require(actor, Permission.RECORD_INCIDENTS)
    now = now or utcnow()
    reason = clean_text(reason, "Reason for the correction", required=True, max_len=2000)
    values = _validated(changes, now)
    with uow:
        entry = uow.session.get(ContactLog, entry_id)
        if entry is None:
            raise NotFound("No such contact or note.")
        if changes.customer_id and changes.customer_id != entry.customer_id:
            raise PolicyError("A contact cannot be moved to another customer.")
        before = snapshot(entry)
        for key, value in values.items():
            setattr(entry, key, value)
        if changes.staff_id:
            entry.staff_id = changes.staff_id
        uow.flush()
        remark_contacts(uow, entry.customer_id)
        old, new = changed_fields(before, snapshot(entry))
        if not new:
            raise PolicyError("Nothing was changed, so there is nothing to correct.")
        entry.amended_at, entry.amended_by_id = now, actor.user_id
        uow.audit(actor, "correct_contact", entry, before=old, after=new, reason=reason)
        uow.commit()


def _entry(row: ContactLog, staff: str) -> ContactEntry:
    return ContactEntry(
        row.id,
        row.customer_id,
        row.case_id,
        row.kind,
        row.occurred_at,
        row.channel,
        row.direction,
        staff,
        row.duration_minutes,
        row.with_whom,
        row.summary,
        row.outside_arrangement,
        tuple(row.outside_reasons or ()),
        row.amended_at,
    )


def list_contacts(
    actor: Actor,
    customer_id: int,
    uow: UnitOfWork,
    *,
    outside_only: bool = False,
    before_id: int | None = None,
    limit: int = 50,
) -> list[ContactEntry]:
    """A customer's contacts and notes, newest first, a page at a time (keyset on id)."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        stmt = (
            select(ContactLog, User.name)
            .join(User, User.id == ContactLog.staff_id)
            .where(ContactLog.customer_id == customer_id)
        )
        if outside_only:
            stmt = stmt.where(ContactLog.outside_arrangement.is_(True))
        if before_id is not None:
            stmt = stmt.where(ContactLog.id < before_id)
        rows = uow.session.execute(stmt.order_by(ContactLog.id.desc()).limit(limit)).all()
        return [_entry(row, name) for row, name in rows]


def outside_count(actor: Actor, case_id: int, uow: UnitOfWork) -> int:
    """How many contacts on the case were outside the arrangement (shown on the case)."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        return (
            uow.session.scalar(
                select(func.count())
                .select_from(ContactLog)
                .where(ContactLog.case_id == case_id, ContactLog.outside_arrangement.is_(True))
            )
            or 0
        )


def outside_for_restriction(actor: Actor, formal_action_id: int, uow: UnitOfWork) -> list[ContactEntry]:
    """The contacts outside a restriction: the evidence its review (or an appeal) needs."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = uow.session.execute(
            select(ContactLog, User.name)
            .join(User, User.id == ContactLog.staff_id)
            .where(ContactLog.formal_action_id == formal_action_id, ContactLog.outside_arrangement.is_(True))
            .order_by(ContactLog.occurred_at, ContactLog.id)
        ).all()
        return [_entry(row, name) for row, name in rows]


def set_contact_rule(
    actor: Actor,
    formal_action_id: int,
    uow: UnitOfWork,
    *,
    channels: Sequence[str] = (),
    weekdays: Sequence[int] = (),
    time_from: str = "",
    time_to: str = "",
    max_contacts: int | None = None,
    period: str = "week",
    reason: str = "",
) -> int:
    """Record what a restriction allows in a form the contact log can check ("telephone only,
    Tuesdays 10-12", "2 calls a week"); every contact is checked again. Returns how many of the
    customer's contacts are outside the arrangement."""
    require(actor, Permission.RUN_CASES)
    channel_codes = [parse_enum(Channel, c, "Channel").value for c in channels]
    problems = rules.rule_problems(channel_codes, weekdays, time_from, time_to, max_contacts, period)
    if problems:
        raise PolicyError(" ".join(problems))
    with uow:
        action = uow.session.get(FormalAction, formal_action_id)
        if action is None:
            raise NotFound("No such restriction.")
        before = dict(action.details or {})
        stored = {
            "channels": channel_codes,
            "weekdays": sorted({int(d) for d in weekdays}),
            "time_from": time_from or None,
            "time_to": time_to or None,
            "max_contacts": max_contacts,
            "period": period,
        }
        action.details = before | {"contact_rule": stored}
        uow.flush()
        customer_id = action.case.customer_id
        outside = remark_contacts(uow, customer_id)
        uow.audit(
            actor,
            "set_contact_rule",
            action,
            customer_id=customer_id,
            before={"contact_rule": before.get("contact_rule")},
            after={"contact_rule": stored},
            reason=clean_text(reason, "Reason", max_len=2000),
        )
        uow.commit()
        return outside


from core.services.contact_queries import OutsideRow, outside_for_owner  # noqa: E402
from core.services.evidence_timeline import timeline_events_for  # noqa: E402

__all__ = [
    "ContactEntry",
    "NewContact",
    "OutsideRow",
    "TimelineEvent",
    "active_rules",
    "correct_contact",
    "list_contacts",
    "log_contact",
    "outside_count",
    "outside_for_owner",
    "outside_for_restriction",
    "remark_contacts",
    "set_contact_rule",
    "timeline_events_for",
]
