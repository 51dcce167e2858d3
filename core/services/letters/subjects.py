"""The records of a case a letter of each type can be about (the subject chooser), and the
arrangement look-ups they share with the letter loaders (re-exported from
core.services.letters.facts)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import LetterType, RegisterStatus, Stage
from core.letters import wording as W
from core.models import (
    Appeal,
    Case,
    PvpEntry,
    Review,
    SpocEntry,
)
from core.policy.letters import STAGE_OF_LETTER
from core.services.arrangements import ThirdParty, arrangements_in_force


def _contacts_in_force(session: Session, case: Case) -> tuple[ThirdParty, ...]:
    """The third-party contacts in force, from the one need-to-know read (clause 4.2)."""
    if case.customer.anonymised_at is not None:
        return ()
    return arrangements_in_force(session, case.customer_id, dt.date.today()).third_party_contact


def staff_arrangements(session: Session, customer_id: int, today: dt.date | None = None) -> list[str]:
    """What staff and contractors must do, in plain words: no reasons, no incidents. The
    arrangements come from the one need-to-know read (core.services.arrangements)."""
    return W.staff_lines(arrangements_in_force(session, customer_id, today or dt.date.today()))


def _stage_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    stage = STAGE_OF_LETTER[letter_type]
    return [
        (e.id, f"{stage.label} decided {W.british_date(e.decided_on)}")
        for e in case.stage_events
        if e.to_stage == stage
    ]


def _appeal_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    appeals = session.scalars(select(Appeal).where(Appeal.case_id == case.id).order_by(Appeal.id)).all()
    if letter_type == LetterType.APPEAL_OUTCOME:
        appeals = [a for a in appeals if a.outcome is not None]
    return [
        (
            a.id,
            f"Appeal received {W.british_date(a.received_on)}"
            + (f", decided {W.british_date(a.decided_on)}" if a.decided_on else ""),
        )
        for a in appeals
    ]


def _review_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    reviews = session.scalars(select(Review).where(Review.case_id == case.id).order_by(Review.id)).all()
    return [(r.id, f"Review held {W.british_date(r.held_on)}: {r.outcome.label}") for r in reviews]


def _contact_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    return [
        (c.contact_id, f"{c.name} from {W.british_date(c.started_on)}")
        for c in _contacts_in_force(session, case)
    ]


def _pvp_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    entries = session.scalars(
        select(PvpEntry).where(
            PvpEntry.customer_id == case.customer_id, PvpEntry.status == RegisterStatus.ACTIVE
        )
    ).all()
    return [(p.id, f"PVP marker from {W.british_date(p.starts_on)}") for p in entries]


def _staff_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    if case.customer.anonymised_at is not None:  # nothing can be written about them
        return []
    return (
        [(case.customer_id, "Arrangements in force now")]
        if staff_arrangements(session, case.customer_id)
        else []
    )


def _spoc_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    entries = session.scalars(
        select(SpocEntry)
        .where(SpocEntry.case_id == case.id, SpocEntry.status == RegisterStatus.ACTIVE)
        .order_by(SpocEntry.id)
    ).all()
    return [(e.id, f"SPOC from {W.british_date(e.starts_on)}") for e in entries]


def _closure_subjects(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    return [
        (e.id, f"Case closed {W.british_date(e.decided_on)}")
        for e in case.stage_events
        if e.to_stage == Stage.CLOSED
    ]


SUBJECT_SOURCES = {
    LetterType.INFORMAL_SUMMARY: _stage_subjects,
    LetterType.WARNING: _stage_subjects,
    LetterType.FORMAL: _stage_subjects,
    LetterType.APPEAL_ACK: _appeal_subjects,
    LetterType.APPEAL_OUTCOME: _appeal_subjects,
    LetterType.REVIEW_OUTCOME: _review_subjects,
    LetterType.THIRD_PARTY: _contact_subjects,
    LetterType.PVP_NOTICE: _pvp_subjects,
    LetterType.STAFF_NOTICE: _staff_subjects,
    LetterType.SPOC: _spoc_subjects,
    LetterType.CLOSURE: _closure_subjects,
}


def subjects_for(session: Session, case: Case, letter_type: LetterType) -> list[tuple[int, str]]:
    """(subject id, label) for each record of this case a letter of this type can be about."""
    return SUBJECT_SOURCES[LetterType(letter_type)](session, case, LetterType(letter_type))
