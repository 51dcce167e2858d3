"""Deciding an appeal (clause 4.2): upheld, varied or overturned, and its effect on the case or SPOC."""

from __future__ import annotations

import datetime as dt

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus,
    AppealOutcome,
    Channel,
    RegisterStatus,
    Stage,
)
from core.errors import NotFound, PermissionDenied, PolicyError
from core.models import (
    Appeal,
    Case,
    SpocEntry,
)
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import stages as rules
from core.policy.deadlines import (
    check_review_date,
)
from core.services.cases._common import (
    SPOC_OVERTURNED,
    _audit_case,
    _changed,
    _load,
    _overturned,
    _today,
)
from core.services.cases.appeals import _assistant_directors, _subject
from core.validation import clean_line, clean_text, parse_enum


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


def _decide_spoc(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    entry: SpocEntry,
    result: AppealOutcome,
    today: dt.date,
    varied_terms: str,
    new_review_due: dt.date | None,
    channels: list | None,
    contact_times: str | None,
    contact_limit: str | None,
) -> list[str]:
    """The effect of an appeal decision on a SPOC register entry; returns what was varied, in words."""
    varied: list[str] = []
    if result == AppealOutcome.UPHELD:
        return varied
    if entry.status != RegisterStatus.ACTIVE:
        raise PolicyError(
            f"That SPOC has already ended ({entry.ended_reason or entry.status.label}): the appeal can only be upheld."
        )
    before = snapshot(entry)
    if result == AppealOutcome.VARIED:
        if varied_terms:
            entry.terms = varied_terms
            varied.append(f"terms: {varied_terms}")
        if channels is not None:
            codes = _spoc_channels(channels)
            entry.channels = codes
            varied.append("channels: " + ", ".join(Channel(c).label for c in codes))
        if contact_times is not None:
            entry.contact_times = contact_times
            varied.append(f"contact times: {contact_times}")
        if contact_limit is not None:
            entry.contact_limit = contact_limit
            varied.append(f"contact limit: {contact_limit}")
        if new_review_due:
            entry.review_due = check_review_date(entry.starts_on, new_review_due)
            varied.append(f"review due {new_review_due:%d %B %Y}")
    else:
        entry.status, entry.ended_on, entry.ended_reason = (
            RegisterStatus.ENDED,
            today,
            SPOC_OVERTURNED,
        )
    uow.flush()
    b, a = _changed(before, snapshot(entry))
    uow.audit(
        actor,
        "end_spoc" if result == AppealOutcome.OVERTURNED else "update_spoc_entry",
        entry,
        customer_id=case.customer_id,
        before=b,
        after=a,
        reason=f"Appeal decided: {result.label}",
    )
    return varied


def decide_appeal(
    actor: Actor,
    appeal_id: int,
    outcome: str,
    notes: str,
    expected_version: int,
    uow: UnitOfWork,
    today: dt.date | None = None,
    varied_terms: str = "",
    new_review_due: dt.date | None = None,
    channels: list | None = None,
    contact_times: str | None = None,
    contact_limit: str | None = None,
) -> dict:
    """The assigned Assistant Director decides: upheld (stands), varied (terms or review date
    change; for a SPOC also its channels, contact times or limit) or overturned (the decision,
    action or SPOC ends)."""
    require(actor, Permission.DECIDE_APPEALS)
    today = _today(today)
    result = parse_enum(AppealOutcome, outcome, "Appeal outcome")
    notes = clean_text(notes, "Reasons for the appeal decision", required=True)
    varied_terms = clean_text(varied_terms, "How the decision is varied")
    # For a SPOC: None (or blank) leaves the channels, contact times or limit as they are.
    contact_times = (clean_line(contact_times, "Contact times") or None) if contact_times is not None else None
    contact_limit = (clean_line(contact_limit, "Contact limit") or None) if contact_limit is not None else None
    channels = channels or None
    with uow:
        appeal = uow.session.get(Appeal, appeal_id)
        if appeal is None:
            raise NotFound("No such appeal.")
        if appeal.decision_maker_id != actor.user_id:
            raise PermissionDenied("This appeal is assigned to another Assistant Director.")
        if appeal.decided_on is not None:
            raise PolicyError("This appeal has already been decided.")
        case = _load(uow, appeal.case_id, expected_version)
        subject = _subject(uow, case, appeal.subject_type, appeal.subject_id)
        event, action = subject.event, subject.action
        conflict = appeal_rules.conflict_problem(actor.user_id, subject.decided_by_id, _assistant_directors(uow))
        if conflict:
            raise PolicyError(conflict)
        spoc_changes = channels is not None or contact_times is not None or contact_limit is not None
        if subject.spoc is None and spoc_changes:
            raise PolicyError("Only a SPOC on the register has channels, contact times or a contact limit to vary.")
        if result == AppealOutcome.VARIED and not (varied_terms or new_review_due or spoc_changes):
            raise PolicyError("Say how the decision is varied (new terms or a new review date).")
        before = snapshot(case)
        appeal_before = snapshot(appeal)
        varied = [f"{varied_terms}"] if varied_terms else []
        if subject.spoc is not None:
            varied = _decide_spoc(
                uow,
                actor,
                case,
                subject.spoc,
                result,
                today,
                varied_terms,
                new_review_due,
                channels,
                contact_times,
                contact_limit,
            )
        elif result == AppealOutcome.VARIED:
            if action is not None:
                if varied_terms:
                    action.terms = varied_terms
                if new_review_due:
                    action.review_due = check_review_date(action.starts_on, new_review_due)
            elif event.to_stage == Stage.WARNING and new_review_due:
                if new_review_due <= event.decided_on:
                    raise PolicyError("The warning's review date must be after the warning was issued.")
                event.review_due = new_review_due
                if case.stage == Stage.WARNING:
                    case.warning_review_due = new_review_due
            elif new_review_due:
                raise PolicyError("Only a warning or a restriction has a review date to vary.")
        elif result == AppealOutcome.OVERTURNED:
            ended = [action] if action is not None else [a for a in case.formal_actions if a.stage_event_id == event.id]
            for a in ended:
                if a.status == ActionStatus.ACTIVE:
                    a.status, a.ended_on, a.ended_reason = (
                        ActionStatus.OVERTURNED,
                        today,
                        "Overturned on appeal.",
                    )
            siblings = [a for a in case.formal_actions if a.stage_event_id == event.id]
            if action is None or all(a.status == ActionStatus.OVERTURNED for a in siblings):
                event.details = {
                    **(event.details or {}),
                    "overturned": True,
                    "overturned_on": today.isoformat(),
                }
            if case.stage != Stage.CLOSED:
                _restore_stage(case)
        appeal.decided_on, appeal.outcome = today, result
        appeal.decision_notes = notes + (f"\nVaried: {'; '.join(varied)}" if varied else "")
        uow.flush()
        b, a = _changed(appeal_before, snapshot(appeal))
        uow.audit(
            actor,
            "decide_appeal",
            appeal,
            customer_id=case.customer_id,
            before=b,
            after=a,
            reason=result.label,
        )
        _audit_case(uow, actor, "appeal_decided", case, before, reason=result.label)
        uow.commit()
        return {
            "appeal_id": appeal.id,
            "outcome": result.value,
            "case_stage": case.stage.value,
            "late_decision": today > appeal.due_on,
        }
