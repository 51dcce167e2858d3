"""Closing a case and what follows it (clause 2.2, issue 13): nothing left open unless the officer
records why, a closure letter telling the customer normal arrangements are restored (or why none
was sent), and a later case that shows the earlier ones and may start at the stage they justify."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from sqlalchemy import select

from core.db import UnitOfWork, snapshot
from core.enums import LetterType, RegisterStatus, Stage
from core.errors import PolicyError
from core.models import Case, Letter, PvpEntry, ServiceReferral, SpocEntry, SpocRequest, StageEvent
from core.permissions import Actor, Permission, require
from core.policy import history
from core.policy import stages as rules
from core.services.cases._common import (
    _audit_case,
    _close,
    _event_audit,
    _facts,
    _load,
    _overturned,
    _refuse,
    _today,
    _undecided_appeals,
)
from core.services.cases.inputs import Closure
from core.services.cases.views import EarlierCase
from core.validation import clean_text

log = logging.getLogger(__name__)


def history_words(reason: str) -> str:
    return f"Stage taken on the customer's earlier cases: {reason}"


def _earlier_events(uow: UnitOfWork, case: Case) -> list[StageEvent]:
    return list(
        uow.session.scalars(
            select(StageEvent)
            .join(Case, Case.id == StageEvent.case_id)
            .where(
                Case.customer_id == case.customer_id,
                Case.id != case.id,
                Case.opened_at <= case.opened_at,
                StageEvent.to_stage.in_(rules.DECISION_STAGES),
            )
            .order_by(StageEvent.case_id, StageEvent.decided_on, StageEvent.id)
        )
    )


def with_history(uow: UnitOfWork, case: Case, facts: rules.CaseFacts) -> rules.CaseFacts:
    """The facts plus the furthest stage the customer's earlier cases reached (decisions that
    were not overturned on appeal)."""
    reached = [e.to_stage for e in _earlier_events(uow, case) if not _overturned(e)]
    furthest = max(reached, key=history.STAGE_ORDER.index, default=Stage.NONE)
    return dataclasses.replace(facts, earlier_stage=furthest)


def earlier_cases(uow: UnitOfWork, case: Case) -> tuple[EarlierCase, ...]:
    """The customer's earlier cases with the stages each reached, oldest first."""
    rows = uow.session.execute(
        select(Case.id, Case.opened_at, Case.closed_at, Case.stage, Case.closure_reason)
        .where(Case.customer_id == case.customer_id, Case.id != case.id, Case.opened_at <= case.opened_at)
        .order_by(Case.opened_at, Case.id)
    ).all()
    stages: dict[int, list[str]] = {}
    for e in _earlier_events(uow, case):
        if not _overturned(e):
            stages.setdefault(e.case_id, []).append(f"{e.to_stage.label} ({e.decided_on:%d %b %Y})")
    return tuple(
        EarlierCase(
            r.id,
            r.opened_at.date(),
            r.closed_at.date() if r.closed_at else None,
            r.stage,
            tuple(stages.get(r.id, ())),
            r.closure_reason,
        )
        for r in rows
    )


def _loose_ends(uow: UnitOfWork, case: Case) -> tuple[str, ...]:
    """What the registers and referrals still hold open for this case (clause 5, issue 13)."""
    s = uow.session
    ends = []
    referrals = s.scalar(
        select(ServiceReferral.id)
        .where(ServiceReferral.case_id == case.id, ServiceReferral.resolved_at.is_(None))
        .limit(1)
    )
    if referrals:
        ends.append("an open service referral")
    if s.scalar(
        select(SpocEntry.id)
        .where(SpocEntry.case_id == case.id, SpocEntry.status == RegisterStatus.ACTIVE)
        .limit(1)
    ):
        ends.append("an active SPOC on the register")
    if s.scalar(
        select(SpocRequest.id)
        .where(SpocRequest.case_id == case.id, SpocRequest.status == RegisterStatus.PENDING)
        .limit(1)
    ):
        ends.append("a SPOC request awaiting the Data Management Officer")
    if s.scalar(
        select(PvpEntry.id)
        .where(
            PvpEntry.customer_id == case.customer_id,
            PvpEntry.status.in_((RegisterStatus.ACTIVE, RegisterStatus.PENDING)),
        )
        .limit(1)
    ):
        ends.append("a PVP register entry (active or proposed)")
    return tuple(ends)


def closure_facts(uow: UnitOfWork, case: Case) -> rules.CaseFacts:
    facts = _facts(case, len(_undecided_appeals(uow, case.id)))
    return dataclasses.replace(facts, loose_ends=_loose_ends(uow, case))


def _send_closure_letter(uow: UnitOfWork, actor: Actor, case: Case, event: StageEvent, today: dt.date) -> int:
    from core.services.letters.drafting import draft_in  # letters read cases' records: imported late

    draft = draft_in(uow, actor, case.id, LetterType.CLOSURE, event.id, None, today, with_preview=False)
    letter = Letter(
        case_id=case.id,
        customer_id=case.customer_id,
        letter_type=LetterType.CLOSURE,
        subject_type=draft.subject_type,
        subject_id=event.id,
        status="sent",
        author_id=actor.user_id,
        sent_on=today,
        template_version=draft.template_version,
        checksum=draft.checksum,
        content=draft.content,
        filename=draft.filename,
    )
    uow.session.add(letter)
    uow.flush()
    uow.audit(actor, "send_letter", letter, after=snapshot(letter), reason=f"{LetterType.CLOSURE.label} sent")
    return letter.id


def close_case(
    actor: Actor,
    case_id: int,
    reason: str | Closure,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> int:
    """Close a case with normal relations restored (clause 2.2). Refused while anything is still
    open (restrictions, appeals, referrals, SPOC or PVP entries) unless the officer records why;
    the closure letter is sent, or the reason it is not is recorded. Returns the closing event id."""
    require(actor, Permission.RUN_CASES)
    today = _today(today)
    closure = reason if isinstance(reason, Closure) else Closure(reason)
    why = clean_text(closure.reason, "Reason for closing the case", required=True)
    loose_end_reason = clean_text(closure.loose_end_reason, "Why the case closes with items still open")
    no_letter_reason = clean_text(closure.no_letter_reason, "Why no closure letter is sent")
    if not closure.send_letter and not no_letter_reason:
        raise PolicyError("Record why no closure letter is sent to the customer (clause 2.2).")
    with uow:
        case = _load(uow, case_id, expected_version)
        facts = closure_facts(uow, case)
        _refuse(rules.check_close(facts, loose_end_reason).problems)
        ends = rules.loose_ends(facts)
        before = snapshot(case)
        event = _close(uow, actor, case, today, why)
        event.details = {
            "loose_ends": ends,
            "loose_end_reason": loose_end_reason if ends else "",
            "closure_letter": "sent" if closure.send_letter else "not sent",
            "no_letter_reason": "" if closure.send_letter else no_letter_reason,
        }
        _event_audit(uow, actor, "close_case", event, reason=why)
        _audit_case(uow, actor, "case_closed", case, before, reason=loose_end_reason or why)
        if closure.send_letter:
            event.details = {
                **event.details,
                "closure_letter_id": _send_closure_letter(uow, actor, case, event, today),
            }
        uow.commit()
        log.info("case closed", extra={"case_id": case.id, "actor_id": actor.user_id})
        return event.id
