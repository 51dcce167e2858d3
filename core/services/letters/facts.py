"""Loading the records a letter is about and handing them to its pure builder
(core/letters/builders.py), one loader per letter type, dispatched from FACT_SOURCES."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import ActionStatus, FormalActionType, LetterType, RegisterStatus, Stage, SubjectType
from core.errors import NotFound, PolicyError
from core.letters import builders
from core.letters import wording as W
from core.letters.facts import SUBJECT_TYPE, Body, LetterFacts, assemble
from core.models import (
    Appeal,
    Case,
    FormalAction,
    Incident,
    Letter,
    PvpEntry,
    Review,
    ServiceArea,
    ServiceReferral,
    SpocEntry,
    StageEvent,
    User,
)
from core.policy.letters import STAGE_OF_LETTER
from core.services import appeal_clock as clocks
from core.services.letters.subjects import (  # noqa: F401  (re-exported: their home was here)
    SUBJECT_SOURCES,
    _contacts_in_force,
    staff_arrangements,
    subjects_for,
)

Loader = Callable[[Session, Case, int | None], Body]


def load_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("No such case.")
    return case


def _counting(incidents: Iterable[Incident]) -> list[Incident]:
    """Hearsay or opinion is never relied on (clauses 4.2 and 6)."""
    return sorted((i for i in incidents if i.counts_as_evidence), key=lambda i: i.occurred_at)


def _event_incidents(case: Case, event: StageEvent) -> list[dict]:
    """The evidence linked to the decision; failing that, the case's counting incidents since
    the previous stage decision up to this one."""
    linked = _counting(event.evidence)
    if not linked:
        earlier = [e.decided_on for e in case.stage_events if e.id < event.id]
        start = max(earlier) if earlier else None
        linked = [
            i
            for i in _counting(case.incidents)
            if i.occurred_at.astimezone(W.UK).date() <= event.decided_on
            and (start is None or i.occurred_at.astimezone(W.UK).date() > start)
        ]
    return [W.incident(i) for i in linked]


def _stage_event(case: Case, stage: Stage, subject_id: int | None) -> StageEvent:
    events = [
        e for e in case.stage_events if e.to_stage == stage and (subject_id is None or e.id == subject_id)
    ]
    if not events:
        raise PolicyError(f"This case has no {stage.label.lower()} decision on record to write about.")
    return events[-1]


def _chosen_or_latest(session: Session, model, subject_id: int | None, missing: str, *conditions):
    """The record the user chose (or, if none, the latest) among those matching `conditions`."""
    query = select(model).where(*conditions)
    if subject_id is not None:
        query = query.where(model.id == subject_id)
    found = session.scalar(query.order_by(model.id.desc()).limit(1))
    if found is None:
        raise PolicyError(missing)
    return found


def _informal(session: Session, case: Case, subject_id: int | None) -> Body:
    event = _stage_event(case, Stage.INFORMAL, subject_id)
    referrals = session.execute(
        select(ServiceReferral.description, ServiceArea.name)
        .join(ServiceArea, ServiceArea.id == ServiceReferral.service_area_id)
        .where(ServiceReferral.case_id == case.id)
    ).all()
    return builders.informal_summary(
        event, _event_incidents(case, event), [(what, area) for what, area in referrals]
    )


def _warning(session: Session, case: Case, subject_id: int | None) -> Body:
    event = _stage_event(case, Stage.WARNING, subject_id)
    earlier = [e for e in case.stage_events if e.id < event.id and e.to_stage == Stage.INFORMAL]
    previous = [i for e in earlier for i in _event_incidents(case, e)]
    return builders.warning(
        event, _event_incidents(case, event), previous, event.review_due or case.warning_review_due
    )


def _formal(session: Session, case: Case, subject_id: int | None) -> Body:
    event = _stage_event(case, Stage.FORMAL, subject_id)
    actions = session.scalars(
        select(FormalAction)
        .where(FormalAction.stage_event_id == event.id, FormalAction.status != ActionStatus.OVERTURNED)
        .order_by(FormalAction.id)
    ).all()
    warnings = [e for e in case.stage_events if e.id < event.id and e.to_stage == Stage.WARNING]
    return builders.formal(
        event,
        _event_incidents(case, event),
        actions,
        warnings[-1].decided_on if warnings else None,
        _spoc_requested(event),
    )


def _spoc_requested(event: StageEvent) -> bool:
    """A formal decision that asked the DMO for a SPOC (issue 13): appeals go to ICT's AD (clause 4.2)."""
    return bool((event.details or {}).get("spoc_request_id"))


def _decision(session: Session, subject_type: str, subject_id: int) -> tuple[str, dt.date | None, bool]:
    """(what was decided, in plain words; the day the customer was informed of it, from which its
    one appeal clock runs (core/services/appeal_clock.py); whether it is about a SPOC)."""
    if subject_type == "stage_event" and (event := session.get(StageEvent, subject_id)) is not None:
        spoc = session.scalar(
            select(FormalAction.id)
            .where(FormalAction.stage_event_id == event.id, FormalAction.kind == FormalActionType.SPOC)
            .limit(1)
        )
        return (
            W.STAGE_DECISION_WORDS.get(event.to_stage, "our decision"),
            clocks.stage_event_clock(event).informed_on,
            spoc is not None or _spoc_requested(event),
        )
    if subject_type == "formal_action" and (action := session.get(FormalAction, subject_id)) is not None:
        words, _, about_spoc = W.formal_action_words(action)
        return words, clocks.formal_action_clock(action).informed_on, about_spoc
    if subject_type == "review" and (review := session.get(Review, subject_id)) is not None:
        what, about_spoc = _review_subject(session, review)
        return (
            f"the outcome of our review of {what}",
            clocks.review_clock(session, review).informed_on,
            about_spoc,
        )
    if subject_type == SubjectType.SPOC_ENTRY:
        entry = session.get(SpocEntry, subject_id)
        return (
            "our decision to provide a single point of contact",
            clocks.spoc_clock(session, entry).informed_on if entry else None,
            True,
        )
    if subject_type == SubjectType.PVP_ENTRY:
        marker = session.get(PvpEntry, subject_id)
        return (
            "our decision to place a Potentially Violent Person marker",
            clocks.pvp_clock(session, marker).informed_on if marker else None,
            False,
        )
    return "our decision", None, False


def _appeal(decided: bool) -> Loader:
    build = builders.appeal_outcome if decided else builders.appeal_ack
    missing = "This case has no " + ("decided " if decided else "") + "appeal on record to write about."

    def load(session: Session, case: Case, subject_id: int | None) -> Body:
        appeal = _chosen_or_latest(
            session,
            Appeal,
            subject_id,
            missing,
            Appeal.case_id == case.id,
            *([Appeal.outcome.is_not(None)] if decided else []),
        )
        return build(
            appeal, _decision(session, appeal.subject_type, appeal.subject_id), case.service_area.name
        )

    return load


def _review_subject(session: Session, review: Review) -> tuple[str, bool]:
    kind, record_id = review.subject_type, review.subject_id
    if kind == "formal_action" and (action := session.get(FormalAction, record_id)) is not None:
        return (
            f"the arrangement “{action.kind.label}” that started on {W.british_date(action.starts_on)}",
            action.kind == FormalActionType.SPOC,
        )
    if kind in ("stage_event", "warning") and (event := session.get(StageEvent, record_id)) is not None:
        return f"the warning in our Fair Treatment Letter of {W.british_date(event.decided_on)}", False
    if kind == SubjectType.SPOC_ENTRY:
        entry = session.get(SpocEntry, record_id)
        start = f" that started on {W.british_date(entry.starts_on)}" if entry else ""
        return f"the single point of contact arrangement{start}", True
    if kind == SubjectType.PVP_ENTRY:
        marker = session.get(PvpEntry, record_id)
        start = f" placed on {W.british_date(marker.starts_on)}" if marker and marker.starts_on else ""
        return f"the Potentially Violent Person marker{start}", False
    return "the arrangement we agreed with you", False


def _review(session: Session, case: Case, subject_id: int | None) -> Body:
    review = _chosen_or_latest(
        session,
        Review,
        subject_id,
        "This case has no review on record to write about.",
        Review.case_id == case.id,
    )
    return builders.review_outcome(review, _review_subject(session, review))


def _third_party(session: Session, case: Case, subject_id: int | None) -> Body:
    contacts = [
        c for c in _contacts_in_force(session, case) if subject_id is None or c.contact_id == subject_id
    ]
    if not contacts:
        raise PolicyError("This customer has no third-party contact in force to write about.")
    return builders.third_party(max(contacts, key=lambda c: c.contact_id))


def _pvp(session: Session, case: Case, subject_id: int | None) -> Body:
    entry = _chosen_or_latest(
        session,
        PvpEntry,
        subject_id,
        "This customer has no approved PVP register entry to write about.",
        PvpEntry.customer_id == case.customer_id,
        PvpEntry.status == RegisterStatus.ACTIVE,
    )
    return builders.pvp_notice(entry)


def _staff(session: Session, case: Case, subject_id: int | None) -> Body:
    return builders.staff_notice(case.customer_id, staff_arrangements(session, case.customer_id))


def _spoc(session: Session, case: Case, subject_id: int | None) -> Body:
    entry = _chosen_or_latest(
        session,
        SpocEntry,
        subject_id,
        "This case has no SPOC on the register to write about: a SPOC exists only once "
        "the Data Management Officer has approved it.",
        SpocEntry.case_id == case.id,
        SpocEntry.status == RegisterStatus.ACTIVE,
    )
    return builders.spoc(entry, session.get(User, entry.spoc_user_id))


def _closure(session: Session, case: Case, subject_id: int | None) -> Body:
    event = _stage_event(case, Stage.CLOSED, subject_id)
    remaining = staff_arrangements(session, case.customer_id) if case.customer.anonymised_at is None else []
    return builders.closure(event, remaining)


FACT_SOURCES: dict[LetterType, Loader] = {
    LetterType.INFORMAL_SUMMARY: _informal,
    LetterType.WARNING: _warning,
    LetterType.FORMAL: _formal,
    LetterType.APPEAL_ACK: _appeal(decided=False),
    LetterType.APPEAL_OUTCOME: _appeal(decided=True),
    LetterType.REVIEW_OUTCOME: _review,
    LetterType.THIRD_PARTY: _third_party,
    LetterType.PVP_NOTICE: _pvp,
    LetterType.STAFF_NOTICE: _staff,
    LetterType.SPOC: _spoc,
    LetterType.CLOSURE: _closure,
}


def _first_sent(
    session: Session, letter_type: LetterType, subject_type: str, subject_id: int
) -> dt.date | None:
    return session.scalar(
        select(Letter.sent_on)
        .where(
            Letter.letter_type == letter_type,
            Letter.subject_type == subject_type,
            Letter.subject_id == subject_id,
            Letter.status == "sent",
        )
        .order_by(Letter.sent_on)
        .limit(1)
    )


def _informed_on(session: Session, letter_type: LetterType, subject_id: int) -> dt.date | None:
    """When the customer was already told of the decision this letter is about (the same date the
    appeal clock uses, core/services/appeal_clock.py), or None if this letter will tell them."""
    first_sent = _first_sent(session, letter_type, SUBJECT_TYPE[letter_type], subject_id)
    if letter_type in STAGE_OF_LETTER and (event := session.get(StageEvent, subject_id)) is not None:
        return event.notified_on or first_sent
    if letter_type == LetterType.PVP_NOTICE and (entry := session.get(PvpEntry, subject_id)) is not None:
        return first_sent or entry.customer_notified_on
    return first_sent


def letter_facts(
    session: Session,
    case: Case,
    letter_type: LetterType | str,
    subject_id: int | None,
    author: User,
    today: dt.date,
) -> LetterFacts:
    """Everything the letter says that comes from the records, plus suggested free text."""
    letter_type = LetterType(letter_type)
    if case.customer.anonymised_at is not None:
        raise NotFound("This customer's record has been anonymised; no letters can be drafted.")
    body = FACT_SOURCES[letter_type](session, case, subject_id)
    first_sent = _informed_on(session, letter_type, body.subject_id)
    return assemble(letter_type, case, author, today, body, first_sent)
