"""Drafting and sending one letter (policy Appendices A and B, clause 4.2).

Drafting reads the case's records and renders a template (core/letters): nothing is saved.
Marking a letter as sent stores the exact .docx sent (with its template version and sha256
checksum) on the case timeline; for a warning or formal letter the first letter sent is the
notification that starts the customer's 28-day appeal window (StageEvent.notified_on).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from core import letters as L
from core.db import UnitOfWork, snapshot
from core.enums import LetterType, Stage
from core.errors import NotFound, PolicyError
from core.models import Case, Customer, Letter, StageEvent, User
from core.permissions import Actor, Permission, require
from core.policy.letters import STAGE_OF_LETTER
from core.services.letters.facts import SUBJECT_TYPE, letter_facts, load_case, subjects_for
from core.validation import clean_line, clean_text, parse_enum

MAX_PARAGRAPHS = 30
LETTER_TYPE_CHOICES = {t.value: t.label for t in LetterType}
CASE_LIST_LIMIT = 200


@dataclass(frozen=True)
class LetterCase:
    case_id: int
    customer_id: int
    name: str
    housing_ref: str
    stage: Stage
    label: str


@dataclass(frozen=True)
class LetterSubject:
    subject_id: int
    label: str


@dataclass(frozen=True)
class LetterOption:
    letter_type: LetterType
    label: str
    subject_type: str
    subjects: tuple[LetterSubject, ...]

    @property
    def available(self) -> bool:
        return bool(self.subjects)


@dataclass(frozen=True)
class Draft:
    letter_type: LetterType
    label: str
    case_id: int
    customer_id: int
    subject_type: str
    subject_id: int
    content: bytes
    filename: str
    preview: str
    facts: tuple[tuple[str, str], ...]
    paragraphs: tuple[str, ...]
    default_paragraphs: tuple[str, ...]
    template_version: str
    checksum: str
    appeal_by: dt.date | None
    letter_date: dt.date


@dataclass(frozen=True)
class SentLetter:
    letter_id: int
    checksum: str
    filename: str
    sent_on: dt.date
    template_version: str
    appeal_by: dt.date | None
    content: bytes
    notified_on: dt.date | None  # the decision's notification date (warning and formal letters)


@dataclass(frozen=True)
class SentLetterRow:
    id: int
    letter_type: LetterType
    label: str
    sent_on: dt.date | None
    author: str
    template_version: str
    checksum: str
    filename: str


@dataclass(frozen=True)
class LetterFile:
    filename: str
    content: bytes
    checksum: str


def today_or(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def clean_paragraphs(paragraphs: list[str] | None) -> list[str] | None:
    """The user's own paragraphs, checked like any free text. They are plain values for the
    template (never template source), so braces and percent signs are printed as typed."""
    if paragraphs is None:
        return None
    if isinstance(paragraphs, str):
        paragraphs = L.split_paragraphs(paragraphs)
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise PolicyError(f"A letter can have at most {MAX_PARAGRAPHS} free-text paragraphs.")
    cleaned = [
        clean_text(p.replace("\r\n", "\n").replace("\r", "\n"), f"Paragraph {n}", max_len=5000)
        for n, p in enumerate(paragraphs, start=1)
    ]
    return [p for p in cleaned if p]


def _author(uow: UnitOfWork, actor: Actor) -> User:
    user = uow.session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Your user account was not found.")
    return user


def draft_in(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    letter_type: LetterType,
    subject_id: int | None,
    paragraphs: list[str] | None,
    today: dt.date,
    with_preview: bool = True,
) -> Draft:
    """Render a letter inside an open unit of work (shared by drafting, sending and batches)."""
    case = load_case(uow.session, case_id)
    facts = letter_facts(uow.session, case, letter_type, subject_id, _author(uow, actor), today)
    context = L.context_with_paragraphs(facts, paragraphs)
    from core.services.communication import letter_format  # issue 16: needs line, large print

    format_needs, large_print = letter_format(uow.session, facts.customer_id, letter_type)
    content = L.render(letter_type, context | {"format_needs": format_needs}, large_print=large_print)
    return Draft(
        letter_type=letter_type,
        label=letter_type.label,
        case_id=case.id,
        customer_id=facts.customer_id,
        subject_type=facts.subject_type,
        subject_id=facts.subject_id,
        content=content,
        filename=facts.filename,
        preview=L.preview_text(content) if with_preview else "",
        facts=tuple((label, value) for label, value in facts.facts),
        paragraphs=tuple(context["paragraphs"]),
        default_paragraphs=tuple(facts.default_paragraphs),
        template_version=L.template_version(letter_type),
        checksum=L.checksum(content),
        appeal_by=facts.appeal_by,
        letter_date=today,
    )


def letter_cases(
    actor: Actor, uow: UnitOfWork, query: str = "", limit: int = CASE_LIST_LIMIT
) -> list[LetterCase]:
    """Cases to write about, newest first, optionally filtered by name or housing reference."""
    require(actor, Permission.DRAFT_LETTERS)
    words = clean_line(query, "Search", max_len=100).lower().split()
    with uow:
        stmt = (
            select(Case, Customer)
            .join(Customer, Customer.id == Case.customer_id)
            .where(Customer.anonymised_at.is_(None))
        )
        for word in words[:5]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(
                or_(Customer.search_text.like(pattern, escape="\\"), Customer.housing_ref == word.upper())
            )
        rows = uow.session.execute(stmt.order_by(Case.id.desc()).limit(limit)).all()
        return [
            LetterCase(
                case.id,
                c.id,
                c.full_name,
                c.housing_ref,
                case.stage,
                f"{c.full_name} ({c.housing_ref}), case {case.id}: {case.stage.label}",
            )
            for case, c in rows
        ]


def letter_types_for_case(actor: Actor, case_id: int, uow: UnitOfWork) -> list[LetterOption]:
    """Each letter type with the records of this case it can be written about."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        case = load_case(uow.session, case_id)
        return [
            LetterOption(
                t,
                t.label,
                SUBJECT_TYPE[t],
                tuple(LetterSubject(sid, label) for sid, label in subjects_for(uow.session, case, t)),
            )
            for t in LetterType
        ]


def draft_letter(
    actor: Actor,
    case_id: int,
    letter_type: str,
    subject_id: int | None,
    paragraphs: list[str] | None,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> Draft:
    """Render a letter without saving anything: the .docx bytes, a text preview, the facts used
    and the paragraphs used (the suggested ones when `paragraphs` is None)."""
    require(actor, Permission.DRAFT_LETTERS)
    kind: LetterType = parse_enum(LetterType, letter_type, "Letter type")
    cleaned = clean_paragraphs(paragraphs)
    with uow:
        return draft_in(uow, actor, case_id, kind, subject_id, cleaned, today_or(today))


def _notify(uow: UnitOfWork, actor: Actor, draft: Draft, letter: Letter, today: dt.date) -> dt.date | None:
    """The first informal, warning or formal letter sent is the decision's notification (a review
    outcome or PVP notice is dated by its first letter in the letter table)."""
    event = uow.session.get(StageEvent, draft.subject_id)
    if event is None:
        raise NotFound("No such decision.")
    first = uow.session.scalar(
        select(Letter.id)
        .where(
            Letter.letter_type == draft.letter_type,
            Letter.subject_type == "stage_event",
            Letter.subject_id == event.id,
            Letter.id != letter.id,
        )
        .limit(1)
    )
    if first is None and event.notified_on is None:  # already told in writing: that date stands
        before = {"notified_on": event.notified_on.isoformat() if event.notified_on else None}
        event.notified_on = today
        uow.audit(
            actor,
            "notify_decision",
            event,
            customer_id=draft.customer_id,
            before=before,
            after={"notified_on": today.isoformat()},
            reason=f"{draft.letter_type.label} sent: the 28-day appeal window starts",
        )
    return event.notified_on


def mark_sent(
    actor: Actor,
    case_id: int,
    letter_type: str,
    subject_id: int | None,
    paragraphs: list[str] | None,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> SentLetter:
    """Record the letter as sent today: the .docx (dated today) with its template version and
    checksum goes on the case timeline. A first warning or formal letter sets the decision's
    notified_on, which starts the 28-day appeal window."""
    require(actor, Permission.DRAFT_LETTERS)
    kind: LetterType = parse_enum(LetterType, letter_type, "Letter type")
    cleaned = clean_paragraphs(paragraphs)
    today = today_or(today)
    with uow:
        draft = draft_in(uow, actor, case_id, kind, subject_id, cleaned, today)
        letter = Letter(
            case_id=draft.case_id,
            customer_id=draft.customer_id,
            letter_type=kind,
            subject_type=draft.subject_type,
            subject_id=draft.subject_id,
            status="sent",
            author_id=actor.user_id,
            sent_on=today,
            template_version=draft.template_version,
            checksum=draft.checksum,
            content=draft.content,
            filename=draft.filename,
        )
        uow.session.add(letter)
        uow.audit(actor, "send_letter", letter, after=snapshot(letter), reason=f"{kind.label} sent")
        notified = _notify(uow, actor, draft, letter, today) if kind in STAGE_OF_LETTER else None
        uow.commit()
        return SentLetter(
            letter.id,
            letter.checksum,
            letter.filename,
            today,
            letter.template_version,
            draft.appeal_by,
            draft.content,
            notified,
        )


def letters_for_case(actor: Actor, case_id: int, uow: UnitOfWork) -> list[SentLetterRow]:
    """Letters recorded as sent on this case, newest first (without the file bytes)."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        rows = uow.session.execute(
            select(Letter, User.name)
            .join(User, User.id == Letter.author_id)
            .where(Letter.case_id == case_id)
            .order_by(Letter.id.desc())
        ).all()
        return [
            SentLetterRow(
                x.id,
                x.letter_type,
                x.letter_type.label,
                x.sent_on,
                name,
                x.template_version,
                x.checksum,
                x.filename,
            )
            for x, name in rows
        ]


def letter_content(actor: Actor, letter_id: int, uow: UnitOfWork) -> LetterFile:
    """A sent letter's stored file, exactly as sent."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        letter = uow.session.get(Letter, letter_id)
        if letter is None:
            raise NotFound("No such letter.")
        return LetterFile(letter.filename, letter.content, letter.checksum)


def pdf_available() -> bool:
    return L.pdf_available()


def draft_pdf(actor: Actor, content: bytes) -> bytes:
    """Convert a drafted .docx to PDF with LibreOffice (only offered where it is installed)."""
    require(actor, Permission.DRAFT_LETTERS)
    return L.to_pdf(content)
