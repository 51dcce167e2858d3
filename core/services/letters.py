"""Drafting, sending and batching letters (policy Appendices A and B, clause 4.2).

Drafting reads the case's records and renders a template (core/letters.py): nothing is saved.
Marking a letter as sent stores the exact .docx sent (with its template version and sha256
checksum) on the case timeline; for a warning or formal letter the first letter sent is the
notification that starts the customer's 28-day appeal window (StageEvent.notified_on).
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Callable, Optional

from sqlalchemy import or_, select

from core import letters as L
from core.db import UnitOfWork, snapshot
from core.enums import ActionStatus, LetterType, RegisterStatus
from core.errors import NotFound, PolicyError
from core.models import (
    Appeal, Case, Customer, FormalAction, Letter, PvpEntry, Review, SpocEntry, StageEvent,
    ThirdPartyContact, User,
)
from core.permissions import Actor, Permission, require
from core.validation import clean_line, clean_text, parse_enum

MAX_PARAGRAPHS = 30
LETTER_TYPE_CHOICES = {t.value: t.label for t in LetterType}
CASE_LIST_LIMIT = 200
Progress = Optional[Callable[[int, int], None]]


def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def _clean_paragraphs(paragraphs: Optional[list[str]]) -> Optional[list[str]]:
    """The user's own paragraphs, checked like any free text. They are plain values for the
    template (never template source), so braces and percent signs are printed as typed."""
    if paragraphs is None:
        return None
    if isinstance(paragraphs, str):
        paragraphs = L.split_paragraphs(paragraphs)
    if len(paragraphs) > MAX_PARAGRAPHS:
        raise PolicyError(f"A letter can have at most {MAX_PARAGRAPHS} free-text paragraphs.")
    cleaned = [clean_text(p.replace("\r\n", "\n").replace("\r", "\n"), f"Paragraph {n}", max_len=5000)
               for n, p in enumerate(paragraphs, start=1)]
    return [p for p in cleaned if p]


def _author(uow: UnitOfWork, actor: Actor) -> User:
    user = uow.session.get(User, actor.user_id)
    if user is None:
        raise NotFound("Your user account was not found.")
    return user


def _draft(uow: UnitOfWork, actor: Actor, case_id: int, letter_type: LetterType,
           subject_id: Optional[int], paragraphs: Optional[list[str]], today: dt.date,
           with_preview: bool = True) -> dict:
    case = L.load_case(uow.session, case_id)
    facts = L.letter_facts(uow.session, case, letter_type, subject_id, _author(uow, actor), today)
    context = L.context_with_paragraphs(facts, paragraphs)
    content = L.render(letter_type, context)
    return {
        "letter_type": letter_type.value, "label": letter_type.label, "case_id": case.id,
        "customer_id": facts.customer_id, "subject_type": facts.subject_type,
        "subject_id": facts.subject_id, "content": content, "filename": facts.filename,
        "preview": L.preview_text(content) if with_preview else "", "facts": [list(f) for f in facts.facts],
        "paragraphs": context["paragraphs"], "default_paragraphs": list(facts.default_paragraphs),
        "template_version": L.template_version(letter_type), "checksum": L.checksum(content),
        "appeal_by": facts.appeal_by.isoformat() if facts.appeal_by else "",
        "letter_date": today.isoformat(),
    }


def letter_cases(actor: Actor, uow: UnitOfWork, query: str = "", limit: int = CASE_LIST_LIMIT) -> list[dict]:
    """Cases to write about, newest first, optionally filtered by name or housing reference."""
    require(actor, Permission.DRAFT_LETTERS)
    words = clean_line(query, "Search", max_len=100).lower().split()
    with uow:
        stmt = (select(Case, Customer).join(Customer, Customer.id == Case.customer_id)
                .where(Customer.anonymised_at.is_(None)))
        for word in words[:5]:
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(or_(Customer.search_text.like(pattern, escape="\\"),
                                  Customer.housing_ref == word.upper()))
        rows = uow.session.execute(stmt.order_by(Case.id.desc()).limit(limit)).all()
        return [{"case_id": case.id, "customer_id": c.id, "name": c.full_name,
                 "housing_ref": c.housing_ref, "stage": case.stage.label,
                 "label": f"{c.full_name} ({c.housing_ref}), case {case.id}: {case.stage.label}"}
                for case, c in rows]


def letter_types_for_case(actor: Actor, case_id: int, uow: UnitOfWork) -> list[dict]:
    """Each letter type with the records of this case it can be written about."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        case = L.load_case(uow.session, case_id)
        out = []
        for letter_type in LetterType:
            subjects = L.subjects_for(uow.session, case, letter_type)
            out.append({"letter_type": letter_type.value, "label": letter_type.label,
                        "subject_type": L.SUBJECT_TYPE[letter_type],
                        "subjects": [{"subject_id": sid, "label": label} for sid, label in subjects],
                        "available": bool(subjects)})
        return out


def draft_letter(actor: Actor, case_id: int, letter_type: str, subject_id: Optional[int],
                 paragraphs: Optional[list[str]], uow: UnitOfWork,
                 today: Optional[dt.date] = None) -> dict:
    """Render a letter without saving anything: the .docx bytes, a text preview, the facts used
    and the paragraphs used (the suggested ones when `paragraphs` is None)."""
    require(actor, Permission.DRAFT_LETTERS)
    letter_type = parse_enum(LetterType, letter_type, "Letter type")
    cleaned = _clean_paragraphs(paragraphs)
    with uow:
        return _draft(uow, actor, case_id, letter_type, subject_id, cleaned, _today(today))


def mark_sent(actor: Actor, case_id: int, letter_type: str, subject_id: Optional[int],
              paragraphs: Optional[list[str]], uow: UnitOfWork,
              today: Optional[dt.date] = None) -> dict:
    """Record the letter as sent today: the .docx (dated today) with its template version and
    checksum goes on the case timeline. A first warning or formal letter sets the decision's
    notified_on, which starts the 28-day appeal window."""
    require(actor, Permission.DRAFT_LETTERS)
    letter_type = parse_enum(LetterType, letter_type, "Letter type")
    cleaned = _clean_paragraphs(paragraphs)
    today = _today(today)
    with uow:
        draft = _draft(uow, actor, case_id, letter_type, subject_id, cleaned, today)
        letter = Letter(case_id=draft["case_id"], customer_id=draft["customer_id"],
                        letter_type=letter_type, subject_type=draft["subject_type"],
                        subject_id=draft["subject_id"], status="sent", author_id=actor.user_id,
                        sent_on=today, template_version=draft["template_version"],
                        checksum=draft["checksum"], content=draft["content"],
                        filename=draft["filename"])
        uow.session.add(letter)
        uow.audit(actor, "send_letter", letter, after=snapshot(letter),
                  reason=f"{letter_type.label} sent")
        notified = None
        if letter_type in L.STARTS_APPEAL_WINDOW:
            event = uow.session.get(StageEvent, draft["subject_id"])
            first = uow.session.scalar(select(Letter.id).where(
                Letter.letter_type == letter_type, Letter.subject_type == "stage_event",
                Letter.subject_id == event.id, Letter.id != letter.id).limit(1))
            if first is None and event.notified_on != today:
                before = {"notified_on": event.notified_on.isoformat() if event.notified_on else None}
                event.notified_on = today
                uow.audit(actor, "notify_decision", event, customer_id=draft["customer_id"],
                          before=before, after={"notified_on": today.isoformat()},
                          reason=f"{letter_type.label} sent: the 28-day appeal window starts")
            notified = event.notified_on
        uow.commit()
        return {"letter_id": letter.id, "checksum": letter.checksum, "filename": letter.filename,
                "sent_on": today.isoformat(), "template_version": letter.template_version,
                "appeal_by": draft["appeal_by"], "content": draft["content"],
                "notified_on": notified.isoformat() if notified else ""}


def letters_for_case(actor: Actor, case_id: int, uow: UnitOfWork) -> list[dict]:
    """Letters recorded as sent on this case, newest first (without the file bytes)."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        rows = uow.session.execute(
            select(Letter, User.name).join(User, User.id == Letter.author_id)
            .where(Letter.case_id == case_id).order_by(Letter.id.desc())).all()
        return [{"id": l.id, "letter_type": l.letter_type.value, "label": l.letter_type.label,
                 "sent_on": l.sent_on.isoformat() if l.sent_on else "", "author": name,
                 "template_version": l.template_version, "checksum": l.checksum,
                 "filename": l.filename} for l, name in rows]


def letter_content(actor: Actor, letter_id: int, uow: UnitOfWork) -> dict:
    """A sent letter's stored file, exactly as sent."""
    require(actor, Permission.DRAFT_LETTERS)
    with uow:
        letter = uow.session.get(Letter, letter_id)
        if letter is None:
            raise NotFound("No such letter.")
        return {"filename": letter.filename, "content": letter.content, "checksum": letter.checksum}


# --- batch ------------------------------------------------------------------------------------
def _already_sent(session, letter_type: LetterType, since: dt.date) -> set[int]:
    """Subjects already written to. A staff notice is per customer, so only one sent in the
    period counts (arrangements can change later and need a new notice)."""
    stmt = select(Letter.subject_id).where(Letter.letter_type == letter_type, Letter.status == "sent")
    if letter_type == LetterType.STAFF_NOTICE:
        stmt = stmt.where(Letter.sent_on >= since)
    return set(session.scalars(stmt))


def _latest_case(session, customer_id: int) -> Optional[Case]:
    return session.scalar(select(Case).where(Case.customer_id == customer_id)
                          .order_by(Case.id.desc()).limit(1))


def _due_rows(session, letter_type: LetterType, since: dt.date, until: dt.date) -> list[tuple]:
    """(case, subject id, date, what) for records of the period needing this letter."""
    rows: list[tuple] = []
    if letter_type in L.STAGE_OF_LETTER:
        events = session.scalars(select(StageEvent).where(
            StageEvent.to_stage == L.STAGE_OF_LETTER[letter_type],
            StageEvent.decided_on.between(since, until)).order_by(StageEvent.decided_on, StageEvent.id))
        rows = [(e.case, e.id, e.decided_on, f"{e.to_stage.label} decided") for e in events]
    elif letter_type == LetterType.APPEAL_ACK:
        appeals = session.scalars(select(Appeal).where(Appeal.received_on.between(since, until))
                                  .order_by(Appeal.received_on, Appeal.id))
        rows = [(session.get(Case, a.case_id), a.id, a.received_on, "Appeal received") for a in appeals]
    elif letter_type == LetterType.APPEAL_OUTCOME:
        appeals = session.scalars(select(Appeal).where(Appeal.outcome.is_not(None),
                                                       Appeal.decided_on.between(since, until))
                                  .order_by(Appeal.decided_on, Appeal.id))
        rows = [(session.get(Case, a.case_id), a.id, a.decided_on, "Appeal decided") for a in appeals]
    elif letter_type == LetterType.REVIEW_OUTCOME:
        reviews = session.scalars(select(Review).where(Review.case_id.is_not(None),
                                                       Review.held_on.between(since, until))
                                  .order_by(Review.held_on, Review.id))
        rows = [(session.get(Case, r.case_id), r.id, r.held_on, f"Review: {r.outcome.label}")
                for r in reviews]
    elif letter_type == LetterType.THIRD_PARTY:
        contacts = session.scalars(select(ThirdPartyContact).where(
            ThirdPartyContact.active.is_(True), ThirdPartyContact.started_on.between(since, until)))
        rows = [(_latest_case(session, c.customer_id), c.id, c.started_on, "Third-party contact")
                for c in contacts]
    elif letter_type == LetterType.PVP_NOTICE:
        entries = session.scalars(select(PvpEntry).where(
            PvpEntry.status == RegisterStatus.ACTIVE, PvpEntry.starts_on.between(since, until)))
        rows = [(_latest_case(session, p.customer_id), p.id, p.starts_on, "PVP marker placed")
                for p in entries]
    else:  # staff notice: customers whose arrangements started in the period
        starts: dict[int, dt.date] = {}
        for customer_id, day in list(session.execute(
                select(Case.customer_id, FormalAction.starts_on).join(Case)
                .where(FormalAction.status == ActionStatus.ACTIVE,
                       FormalAction.starts_on.between(since, until)))) + list(session.execute(
                select(SpocEntry.customer_id, SpocEntry.starts_on).where(
                    SpocEntry.status == RegisterStatus.ACTIVE, SpocEntry.starts_on.between(since, until)))) \
                + list(session.execute(select(PvpEntry.customer_id, PvpEntry.starts_on).where(
                    PvpEntry.status == RegisterStatus.ACTIVE, PvpEntry.starts_on.between(since, until)))):
            starts[customer_id] = min(day, starts.get(customer_id, day))
        rows = [(_latest_case(session, cid), cid, day, "Arrangements started") for cid, day in starts.items()]
    return [r for r in rows if r[0] is not None]


def letters_due(actor: Actor, letter_type: str, uow: UnitOfWork, since: dt.date,
                until: dt.date) -> list[dict]:
    """Letters of one type due for the period (e.g. review outcomes for reviews held this
    week) that have not been recorded as sent."""
    require(actor, Permission.DRAFT_LETTERS)
    letter_type = parse_enum(LetterType, letter_type, "Letter type")
    if since > until:
        raise PolicyError("The start of the period must be on or before its end.")
    with uow:
        sent = _already_sent(uow.session, letter_type, since)
        out = []
        for case, subject_id, day, what in _due_rows(uow.session, letter_type, since, until):
            customer = case.customer
            if subject_id in sent or customer.anonymised_at is not None:
                continue
            out.append({"case_id": case.id, "subject_id": subject_id, "date": day.isoformat(),
                        "what": what, "customer": customer.full_name,
                        "housing_ref": customer.housing_ref})
        return out


def batch_zip(actor: Actor, letter_type: str, uow: UnitOfWork, since: dt.date, until: dt.date,
              today: Optional[dt.date] = None, progress: Progress = None) -> dict:
    """Draft every due letter of one type into one zip (nothing is recorded as sent).
    `progress(done, total)` is called after each letter. A letter whose records are incomplete
    is listed in `problems` instead of stopping the batch."""
    require(actor, Permission.DRAFT_LETTERS)
    letter_type = parse_enum(LetterType, letter_type, "Letter type")
    today = _today(today)
    due = letters_due(actor, letter_type.value, uow, since, until)
    buffer = io.BytesIO()
    names: list[str] = []
    problems: list[dict] = []
    with uow, zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for done, item in enumerate(due, start=1):
            try:
                draft = _draft(uow, actor, item["case_id"], letter_type, item["subject_id"], None, today,
                               with_preview=False)
            except PolicyError as refusal:
                problems.append({**item, "problem": str(refusal)})
            else:
                archive.writestr(draft["filename"], draft["content"])
                names.append(draft["filename"])
            if progress is not None:
                progress(done, len(due))
    return {"content": buffer.getvalue(), "count": len(names), "filenames": names,
            "problems": problems, "filename": f"{letter_type.value}_{since.isoformat()}_{until.isoformat()}.zip"}


# --- PDF ------------------------------------------------------------------------------------
def pdf_available() -> bool:
    return L.pdf_available()


def draft_pdf(actor: Actor, content: bytes) -> bytes:
    """Convert a drafted .docx to PDF with LibreOffice (only offered where it is installed)."""
    require(actor, Permission.DRAFT_LETTERS)
    return L.to_pdf(content)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday of the week containing `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


__all__ = ["LETTER_TYPE_CHOICES", "letter_cases", "letter_types_for_case", "draft_letter", "mark_sent", "letters_for_case",
           "letter_content", "letters_due", "batch_zip", "pdf_available", "draft_pdf", "week_of"]
