"""Loading a case and turning it into policy facts; the audit and refusal helpers every use case shares.

Every case-changing service takes `expected_version` (the Case.version the user saw) and
refuses with StaleRecord if someone else changed the case since; the case row is always
updated so its version moves on, and a concurrent save fails at commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified

from core.db import UnitOfWork, snapshot
from core.enums import (
    ActionStatus,
    LetterType,
    RegisterStatus,
    Stage,
)
from core.errors import NotFound, PolicyError, StaleRecord
from core.models import (
    Appeal,
    Case,
    Customer,
    Incident,
    SpocEntry,
    StageEvent,
    utcnow,
)
from core.permissions import Actor, require_area
from core.policy import stages as rules
from core.validation import clean_text

DECISION_LETTERS = (LetterType.INFORMAL_SUMMARY, LetterType.WARNING, LetterType.FORMAL)
OUTCOME_LETTER_WORKING_DAYS = 5
SPOC_OVERTURNED = "Overturned on appeal."


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _case_query():
    return select(Case).options(
        selectinload(Case.incidents).selectinload(Incident.behaviours),
        selectinload(Case.stage_events).selectinload(StageEvent.evidence),
        selectinload(Case.formal_actions),
        selectinload(Case.customer).selectinload(Customer.vulnerabilities),
        selectinload(Case.service_area),
    )


def _load(uow: UnitOfWork, case_id: int, expected_version: int | None = None) -> Case:
    query = _case_query().where(Case.id == case_id)
    if expected_version is not None:
        # A change: lock the case row first (PostgreSQL), so a save made at the same moment by
        # someone else is seen as a newer version (StaleRecord) rather than as half-changed facts.
        query = query.with_for_update(of=Case)
    case = uow.session.scalar(query)
    if case is None:
        raise NotFound("No such case.")
    if expected_version is not None and case.version != expected_version:
        raise StaleRecord()
    if (
        expected_version is not None
        and uow.session.scalar(select(Case.version).where(Case.id == case_id)) != expected_version
    ):
        # Saved by someone else while its history loaded (SQLite reads are not one snapshot):
        # the facts may mix old and new, so refuse as a changed case.
        raise StaleRecord()
    return case


def _touch(case: Case) -> None:
    """Make the case row part of this change, so its version moves on (optimistic locking)."""
    flag_modified(case, "stage")


def _overturned(event: StageEvent) -> bool:
    return bool((event.details or {}).get("overturned"))


def _incident_fact(i: Incident) -> rules.IncidentFact:
    return rules.IncidentFact(
        i.id,
        i.occurred_at.date(),
        i.counts_as_evidence,
        rules.is_serious(i.violence_or_threat, [b.behaviour for b in i.behaviours]),
    )


def _facts(case: Case, undecided_appeals: int = 0, up_to: dt.date | None = None) -> rules.CaseFacts:
    incidents = [_incident_fact(i) for i in case.incidents]
    if up_to is not None:
        incidents = [i for i in incidents if i.occurred_on <= up_to]
    events = tuple(
        rules.EventFact(
            e.id,
            e.to_stage,
            e.decided_on,
            frozenset(i.id for i in e.evidence),
            _overturned(e),
            e.review_due,
        )
        for e in case.stage_events
    )
    actions = tuple(
        rules.ActionFact(a.id, a.kind, a.starts_on, a.review_due, a.status == ActionStatus.ACTIVE)
        for a in case.formal_actions
    )
    return rules.CaseFacts(
        case.stage,
        tuple(incidents),
        events,
        actions,
        case.warning_review_due,
        undecided_appeals,
    )


def _undecided_appeals(uow: UnitOfWork, case_id: int) -> list[Appeal]:
    return list(
        uow.session.scalars(select(Appeal).where(Appeal.case_id == case_id, Appeal.decided_on.is_(None)))
    )


def _vulnerabilities(case: Case):
    return [v.kind for v in case.customer.vulnerabilities]


def _refuse(problems: Iterable[str]) -> None:
    problems = list(problems)
    if problems:
        raise PolicyError(" ".join(problems))


def _decision_date(value: dt.date | None, today: dt.date, what: str = "The decision date") -> dt.date:
    day = value or today
    if day > today:
        raise PolicyError(f"{what} cannot be in the future.")
    return day


def _evidence(
    case: Case,
    incident_ids: list[int] | None,
    facts: rules.CaseFacts,
    since: dt.date | None,
    decided_on: dt.date,
) -> list[Incident]:
    """The incidents a decision rests on: those chosen, or by default every counting incident
    since the previous decision that no earlier decision used. Hearsay is refused."""
    by_id = {i.id: i for i in case.incidents}
    if incident_ids is None:
        ids = [f.id for f in rules.counting_incidents_since(facts, since)]
    else:
        ids = list(dict.fromkeys(incident_ids))
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise PolicyError(f"Incident(s) {', '.join(map(str, unknown))} are not on this case.")
        hearsay = [i for i in ids if not by_id[i].counts_as_evidence]
        if hearsay:
            raise PolicyError(
                f"Incident(s) {', '.join(map(str, hearsay))} are hearsay or opinion and "
                "cannot be grounds for a decision (clauses 4.2 and 6)."
            )
        late = [i for i in ids if by_id[i].occurred_at.date() > decided_on]
        if late:
            raise PolicyError(f"Incident(s) {', '.join(map(str, late))} happened after the decision date.")
    return [by_id[i] for i in ids]


def _last_live(case: Case, stage: Stage) -> StageEvent | None:
    events = [e for e in case.stage_events if e.to_stage == stage and not _overturned(e)]
    return max(events, key=lambda e: (e.decided_on, e.id)) if events else None


def _new_event(
    uow: UnitOfWork,
    actor: Actor,
    case: Case,
    to_stage: Stage,
    decided_on: dt.date,
    **values: Any,
) -> StageEvent:
    event = StageEvent(
        case_id=case.id,
        from_stage=case.stage,
        to_stage=to_stage,
        decided_on=decided_on,
        decided_by_id=actor.user_id,
        **values,
    )
    uow.session.add(event)
    case.stage_events.append(event)
    return event


def _close(uow: UnitOfWork, actor: Actor, case: Case, decided_on: dt.date, reason: str) -> StageEvent:
    event = _new_event(uow, actor, case, Stage.CLOSED, decided_on, reason=reason)
    case.stage = Stage.CLOSED
    case.closed_at = utcnow()
    case.closure_reason = reason
    case.warning_review_due = None
    return event


def _audit_case(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    case: Case,
    before: dict,
    reason: str = "",
) -> None:
    require_area(actor, case.service_area_id)  # clause 5: every case-changing action passes here
    _touch(case)
    uow.flush()
    b, a = _changed(before, snapshot(case))
    uow.audit(actor, action, case, before=b, after=a, reason=reason)


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _event_audit(uow: UnitOfWork, actor: Actor, action: str, event: StageEvent, reason: str = "") -> None:
    uow.flush()
    uow.audit(
        actor,
        action,
        event,
        customer_id=event.case.customer_id,
        after=snapshot(event) | {"evidence": [i.id for i in event.evidence]},
        reason=reason,
    )


def _underlying(decision, case: Case, problems: list[str]) -> dict:
    """The Equality Act considerations recorded with a warning or formal action; anything
    missing is added to `problems`, so the user sees it with the other refusals."""
    considered = bool(decision.underlying_issues_considered)
    try:
        notes = clean_text(decision.underlying_issues_notes, "Underlying issues")
        adjustments = clean_text(decision.adjustments, "Reasonable adjustments")
    except PolicyError as e:
        problems.append(str(e))
        return {}
    values = {
        "underlying_issues_considered": considered,
        "underlying_issues_notes": notes,
        "adjustments": adjustments,
    }
    problems += rules.underlying_issue_problems(
        considered,
        notes,
        adjustments,
        _vulnerabilities(case),
    )
    return values


def _active_spoc_entries(uow: UnitOfWork, case_id: int) -> list[SpocEntry]:
    return list(
        uow.session.scalars(
            select(SpocEntry)
            .where(SpocEntry.case_id == case_id, SpocEntry.status == RegisterStatus.ACTIVE)
            .order_by(SpocEntry.id)
        )
    )
