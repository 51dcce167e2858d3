"""Letters due for a period, and drafting every due letter of one type into one zip."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import ActionStatus, LetterType, RegisterStatus
from core.errors import PolicyError
from core.models import (
    Appeal,
    Case,
    FormalAction,
    Letter,
    PvpEntry,
    Review,
    SpocEntry,
    StageEvent,
    ThirdPartyContact,
)
from core.permissions import Actor, Permission, require
from core.policy.letters import STAGE_OF_LETTER
from core.services.letters.drafting import draft_in, today_or
from core.validation import parse_enum

Progress = Callable[[int, int], None] | None
# (case, subject id, date, what); the date columns are nullable in the models, and every query
# below selects only rows whose date falls in the period.
Row = tuple[Case | None, int, dt.date | None, str]


@dataclass(frozen=True)
class DueLetter:
    case_id: int
    subject_id: int
    date: dt.date
    what: str
    customer: str
    housing_ref: str


@dataclass(frozen=True)
class BatchProblem:
    """A due letter that could not be drafted, and why."""

    due: DueLetter
    problem: str

    @property
    def customer(self) -> str:
        return self.due.customer

    @property
    def housing_ref(self) -> str:
        return self.due.housing_ref


@dataclass(frozen=True)
class Batch:
    content: bytes
    count: int
    filenames: tuple[str, ...]
    problems: tuple[BatchProblem, ...]
    filename: str


def _already_sent(session: Session, letter_type: LetterType, since: dt.date) -> set[int]:
    """Subjects already written to. A staff notice is per customer, so only one sent in the
    period counts (arrangements can change later and need a new notice)."""
    stmt = select(Letter.subject_id).where(Letter.letter_type == letter_type, Letter.status == "sent")
    if letter_type == LetterType.STAFF_NOTICE:
        stmt = stmt.where(Letter.sent_on >= since)
    return set(session.scalars(stmt))


def _latest_case(session: Session, customer_id: int) -> Case | None:
    return session.scalar(
        select(Case).where(Case.customer_id == customer_id).order_by(Case.id.desc()).limit(1)
    )


def _stage_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    events = session.scalars(
        select(StageEvent)
        .where(
            StageEvent.to_stage == STAGE_OF_LETTER[letter_type], StageEvent.decided_on.between(since, until)
        )
        .order_by(StageEvent.decided_on, StageEvent.id)
    )
    return [(e.case, e.id, e.decided_on, f"{e.to_stage.label} decided") for e in events]


def _appeal_ack_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    appeals = session.scalars(
        select(Appeal).where(Appeal.received_on.between(since, until)).order_by(Appeal.received_on, Appeal.id)
    )
    return [(session.get(Case, a.case_id), a.id, a.received_on, "Appeal received") for a in appeals]


def _appeal_outcome_rows(
    session: Session, letter_type: LetterType, since: dt.date, until: dt.date
) -> list[Row]:
    appeals = session.scalars(
        select(Appeal)
        .where(Appeal.outcome.is_not(None), Appeal.decided_on.between(since, until))
        .order_by(Appeal.decided_on, Appeal.id)
    )
    return [(session.get(Case, a.case_id), a.id, a.decided_on, "Appeal decided") for a in appeals]


def _review_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    reviews = session.scalars(
        select(Review)
        .where(Review.case_id.is_not(None), Review.held_on.between(since, until))
        .order_by(Review.held_on, Review.id)
    )
    return [(session.get(Case, r.case_id), r.id, r.held_on, f"Review: {r.outcome.label}") for r in reviews]


def _third_party_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    contacts = session.scalars(
        select(ThirdPartyContact).where(
            ThirdPartyContact.active.is_(True), ThirdPartyContact.started_on.between(since, until)
        )
    )
    return [
        (_latest_case(session, c.customer_id), c.id, c.started_on, "Third-party contact") for c in contacts
    ]


def _pvp_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    entries = session.scalars(
        select(PvpEntry).where(
            PvpEntry.status == RegisterStatus.ACTIVE, PvpEntry.starts_on.between(since, until)
        )
    )
    return [(_latest_case(session, p.customer_id), p.id, p.starts_on, "PVP marker placed") for p in entries]


def _staff_rows(session: Session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[Row]:
    """Customers whose arrangements started in the period."""
    queries = [
        select(Case.customer_id, FormalAction.starts_on)
        .join(Case)
        .where(FormalAction.status == ActionStatus.ACTIVE, FormalAction.starts_on.between(since, until)),
        select(SpocEntry.customer_id, SpocEntry.starts_on).where(
            SpocEntry.status == RegisterStatus.ACTIVE, SpocEntry.starts_on.between(since, until)
        ),
        select(PvpEntry.customer_id, PvpEntry.starts_on).where(
            PvpEntry.status == RegisterStatus.ACTIVE, PvpEntry.starts_on.between(since, until)
        ),
    ]
    starts: dict[int, dt.date] = {}
    for query in queries:
        for customer_id, day in session.execute(query):
            if day is not None:  # always, given the period filter: this narrows the nullable column
                starts[customer_id] = min(day, starts.get(customer_id, day))
    return [(_latest_case(session, cid), cid, day, "Arrangements started") for cid, day in starts.items()]


DUE_SOURCES: dict[LetterType, Callable[[Session, LetterType, dt.date, dt.date], list[Row]]] = {
    LetterType.INFORMAL_SUMMARY: _stage_rows,
    LetterType.WARNING: _stage_rows,
    LetterType.FORMAL: _stage_rows,
    LetterType.APPEAL_ACK: _appeal_ack_rows,
    LetterType.APPEAL_OUTCOME: _appeal_outcome_rows,
    LetterType.REVIEW_OUTCOME: _review_rows,
    LetterType.THIRD_PARTY: _third_party_rows,
    LetterType.PVP_NOTICE: _pvp_rows,
    LetterType.STAFF_NOTICE: _staff_rows,
}


def letters_due(actor: Actor, letter_type: str, uow, since: dt.date, until: dt.date) -> list[DueLetter]:
    """Letters of one type due for the period (e.g. review outcomes for reviews held this
    week) that have not been recorded as sent."""
    require(actor, Permission.DRAFT_LETTERS)
    kind: LetterType = parse_enum(LetterType, letter_type, "Letter type")
    if since > until:
        raise PolicyError("The start of the period must be on or before its end.")
    with uow:
        sent = _already_sent(uow.session, kind, since)
        rows = DUE_SOURCES[kind](uow.session, kind, since, until)
        return [
            DueLetter(case.id, subject_id, day, what, case.customer.full_name, case.customer.housing_ref)
            for case, subject_id, day, what in rows
            if case is not None
            and day is not None
            and subject_id not in sent
            and case.customer.anonymised_at is None
        ]


def batch_zip(
    actor: Actor,
    letter_type: str,
    uow,
    since: dt.date,
    until: dt.date,
    today: dt.date | None = None,
    progress: Progress = None,
) -> Batch:
    """Draft every due letter of one type into one zip (nothing is recorded as sent).
    `progress(done, total)` is called after each letter. A letter whose records are incomplete
    is listed in `problems` instead of stopping the batch."""
    require(actor, Permission.DRAFT_LETTERS)
    kind: LetterType = parse_enum(LetterType, letter_type, "Letter type")
    today = today_or(today)
    due = letters_due(actor, kind.value, uow, since, until)
    buffer = io.BytesIO()
    names: list[str] = []
    problems: list[BatchProblem] = []
    with uow, zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, item in enumerate(due, start=1):
            try:
                draft = draft_in(
                    uow, actor, item.case_id, kind, item.subject_id, None, today, with_preview=False
                )
            except PolicyError as refusal:
                problems.append(BatchProblem(item, str(refusal)))
            else:
                archive.writestr(draft.filename, draft.content)
                names.append(draft.filename)
            if progress is not None:
                progress(done, len(due))
    return Batch(
        buffer.getvalue(),
        len(names),
        tuple(names),
        tuple(problems),
        f"{kind.value}_{since.isoformat()}_{until.isoformat()}.zip",
    )


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week containing `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)
