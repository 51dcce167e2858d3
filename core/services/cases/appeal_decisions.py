"""Deciding an appeal (clause 4.2): upheld, varied or overturned, and its effect on the case or SPOC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.db import UnitOfWork, snapshot
from core.enums import ActionStatus, AppealOutcome, Channel, RegisterStatus, Stage
from core.errors import NotFound, PermissionDenied, PolicyError
from core.models import Appeal, Case, FormalAction, SpocEntry, StageEvent
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import stages as rules
from core.policy.deadlines import check_review_date
from core.services.cases import appeal_effects as effects
from core.services.cases._common import (
    SPOC_OVERTURNED,
    _audit_case,
    _changed,
    _load,
    _overturned,
    _today,
)
from core.services.cases.appeals import _assistant_directors, _subject
from core.services.cases.views import AppealDecided
from core.validation import clean_line, clean_text, parse_enum


@dataclass
class AppealDecision:
    """The Assistant Director's decision. For a SPOC on the register, `channels`, `contact_times`
    and `contact_limit` vary it; None (or blank) leaves each as it is."""

    outcome: str
    notes: str
    varied_terms: str = ""
    new_review_due: dt.date | None = None
    channels: list | None = None
    contact_times: str | None = None
    contact_limit: str | None = None

    @property
    def spoc_changes(self) -> bool:
        return self.channels is not None or self.contact_times is not None or self.contact_limit is not None


@dataclass
class _Decision(AppealDecision):
    """An AppealDecision checked and cleaned."""

    outcome: AppealOutcome  # narrowed from the code the page sends


def _clean(decision: AppealDecision) -> _Decision:
    def line(value: str | None, what: str) -> str | None:
        return (clean_line(value, what) or None) if value is not None else None

    return _Decision(
        parse_enum(AppealOutcome, decision.outcome, "Appeal outcome"),
        clean_text(decision.notes, "Reasons for the appeal decision", required=True),
        clean_text(decision.varied_terms, "How the decision is varied"),
        decision.new_review_due,
        decision.channels or None,
        line(decision.contact_times, "Contact times"),
        line(decision.contact_limit, "Contact limit"),
    )


def _restore_stage(case: Case) -> None:
    """After a decision is overturned, the case returns to its latest standing decision."""
    live = [e for e in case.stage_events if e.to_stage in rules.DECISION_STAGES and not _overturned(e)]
    latest = max(live, key=lambda e: (e.decided_on, e.id)) if live else None
    case.stage = latest.to_stage if latest else Stage.NONE
    case.warning_review_due = latest.review_due if latest and latest.to_stage == Stage.WARNING else None


def _spoc_channels(values: list) -> list[str]:
    return [
        parse_enum(Channel, v.value if isinstance(v, Channel) else v, "Channel").value
        for v in dict.fromkeys(values or [])
    ]


def _vary_spoc(entry: SpocEntry, d: _Decision) -> list[str]:
    varied: list[str] = []
    if d.varied_terms:
        entry.terms = d.varied_terms
        varied.append(f"terms: {d.varied_terms}")
    if d.channels is not None:
        codes = _spoc_channels(d.channels)
        entry.channels = codes
        varied.append("channels: " + ", ".join(Channel(c).label for c in codes))
    if d.contact_times is not None:
        entry.contact_times = d.contact_times
        varied.append(f"contact times: {d.contact_times}")
    if d.contact_limit is not None:
        entry.contact_limit = d.contact_limit
        varied.append(f"contact limit: {d.contact_limit}")
    if d.new_review_due:
        entry.review_due = check_review_date(entry.starts_on, d.new_review_due)
        varied.append(f"review due {d.new_review_due:%d %B %Y}")
    return varied


def _decide_spoc(
    uow: UnitOfWork, actor: Actor, case: Case, entry: SpocEntry, d: _Decision, today: dt.date
) -> list[str]:
    """The effect of an appeal decision on a SPOC register entry; returns what was varied, in words."""
    if d.outcome == AppealOutcome.UPHELD:
        return []
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError(
            f"That SPOC has already ended ({entry.ended_reason or entry.status.label}): "
            "the appeal can only be upheld."
        )
    before = snapshot(entry)
    varied: list[str] = []
    if d.outcome == AppealOutcome.VARIED:
        varied = _vary_spoc(entry, d)
    else:
        entry.status, entry.ended_on, entry.ended_reason = RegisterStatus.ENDED, today, SPOC_OVERTURNED
    uow.flush()
    b, a = _changed(before, snapshot(entry))
    uow.audit(
        actor,
        "end_spoc" if d.outcome == AppealOutcome.OVERTURNED else "update_spoc_entry",
        entry,
        customer_id=case.customer_id,
        before=b,
        after=a,
        reason=f"Appeal decided: {d.outcome.label}",
    )
    return varied


def _vary(case: Case, event: StageEvent, action: FormalAction | None, d: _Decision) -> None:
    if action is not None:
        if d.varied_terms:
            action.terms = d.varied_terms
        if d.new_review_due:
            action.review_due = check_review_date(action.starts_on, d.new_review_due)
    elif event.to_stage == Stage.WARNING and d.new_review_due:
        if d.new_review_due <= event.decided_on:
            raise PolicyError("The warning's review date must be after the warning was issued.")
        event.review_due = d.new_review_due
        if case.stage == Stage.WARNING:
            case.warning_review_due = d.new_review_due
    elif d.new_review_due:
        raise PolicyError("Only a warning or a restriction has a review date to vary.")


def _overturn(case: Case, event: StageEvent, action: FormalAction | None, today: dt.date) -> None:
    ended = (
        [action] if action is not None else [a for a in case.formal_actions if a.stage_event_id == event.id]
    )
    for a in ended:
        if a.status == ActionStatus.ACTIVE:
            a.status, a.ended_on, a.ended_reason = ActionStatus.OVERTURNED, today, "Overturned on appeal."
    siblings = [a for a in case.formal_actions if a.stage_event_id == event.id]
    if action is None or all(a.status == ActionStatus.OVERTURNED for a in siblings):
        event.details = {**(event.details or {}), "overturned": True, "overturned_on": today.isoformat()}
    if case.stage != Stage.CLOSED:
        _restore_stage(case)


def _open_appeal(uow: UnitOfWork, actor: Actor, appeal_id: int) -> Appeal:
    appeal = uow.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("No such appeal.")
    if appeal.decision_maker_id != actor.user_id:
        raise PermissionDenied("This appeal is assigned to another Assistant Director.")
    if appeal.decided_on is not None:
        raise PolicyError("This appeal has already been decided.")
    return appeal


def decide_appeal(
    actor: Actor,
    appeal_id: int,
    decision: AppealDecision,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
) -> AppealDecided:
    """The assigned Assistant Director decides: upheld (stands), varied (terms or review date
    change; for a SPOC also its channels, contact times or limit) or overturned (the decision,
    action or SPOC ends)."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    d = _clean(decision)
    with uow:
        appeal = _open_appeal(uow, actor, appeal_id)
        case = _load(uow, appeal.case_id, expected_version)
        subject = _subject(uow, case, appeal.subject_type, appeal.subject_id)
        if actor.user_id in subject.took_part:
            others = [p for p in _assistant_directors(uow) if p.id not in subject.took_part]
            raise PolicyError(appeal_rules.conflict_problem(actor.user_id, actor.user_id, others) or "")
        if subject.spoc is None and d.spoc_changes:
            raise PolicyError(
                "Only a SPOC on the register has channels, contact times or a contact limit to vary."
            )
        if d.outcome == AppealOutcome.VARIED and not (d.varied_terms or d.new_review_due or d.spoc_changes):
            raise PolicyError("Say how the decision is varied (new terms or a new review date).")
        before, appeal_before = snapshot(case), snapshot(appeal)
        varied = [d.varied_terms] if d.varied_terms else []
        if subject.spoc is not None:
            varied = _decide_spoc(uow, actor, case, subject.spoc, d, today)
        elif subject.review is not None:
            varied = effects.decide_review(
                uow, actor, case, subject.review, d.outcome, d.varied_terms, d.new_review_due, today
            )
        elif subject.pvp is not None:
            varied = effects.decide_pvp(
                uow, actor, case, subject.pvp, d.outcome, d.varied_terms, d.new_review_due, today
            )
        elif subject.event is not None and d.outcome == AppealOutcome.VARIED:
            _vary(case, subject.event, subject.action, d)
        elif subject.event is not None and d.outcome == AppealOutcome.OVERTURNED:
            _overturn(case, subject.event, subject.action, today)
        appeal.decided_on, appeal.outcome = today, d.outcome
        appeal.decision_notes = d.notes + (f"\nVaried: {'; '.join(varied)}" if varied else "")
        uow.flush()
        b, a = _changed(appeal_before, snapshot(appeal))
        uow.audit(
            actor,
            "decide_appeal",
            appeal,
            customer_id=case.customer_id,
            before=b,
            after=a,
            reason=d.outcome.label,
        )
        _audit_case(uow, actor, "appeal_decided", case, before, reason=d.outcome.label)
        uow.commit()
        return AppealDecided(appeal.id, d.outcome, case.stage, today > appeal.due_on)
