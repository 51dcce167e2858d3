"""Reading a case: what the policy allows next, the clause 2.3 checklist and the case overview."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.db import UnitOfWork
from core.enums import ActionStatus, RegisterStatus, Stage, SubjectType
from core.models import Appeal, Case, PvpEntry, Review, SpocEntry, StageEvent, User
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import stages as rules
from core.policy.checklist import ChecklistItem
from core.services import appeal_clock as clocks
from core.services import areas
from core.services.areas import ServiceAreaRow
from core.services.cases._common import (
    _active_spoc_entries,
    _facts,
    _load,
    _overturned,
    _today,
)
from core.services.cases.appeal_subjects import pvp_case_ok
from core.services.cases.closure import closure_facts, earlier_cases, with_history
from core.services.cases.compliance import (
    _checklist,
    _letters_sent,
    _referrals,
    case_ids,
)
from core.services.cases.views import (
    ActionOption,
    ActionRow,
    AllowedActions,
    AppealRow,
    CaseOverview,
    DecisionRow,
    IncidentRow,
    RefusedAction,
    SpocRow,
    Subject,
    WarningInForce,
)


def allowed_actions(
    actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None
) -> AllowedActions:
    """What the policy allows next on this case, and why each other action is not allowed."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        case = _load(uow, case_id)
        return _allowed(uow, case, _active_spoc_entries(uow, case.id))


def _allowed(uow: UnitOfWork, case: Case, spoc_entries: list[SpocEntry]) -> AllowedActions:
    verdicts = rules.next_actions(with_history(uow, case, closure_facts(uow, case)))  # issue 13: loose ends
    verdicts = appeal_rules.with_spoc_appeals(verdicts, len(spoc_entries))
    return AllowedActions(
        case.id,
        case.stage,
        case.version,
        tuple(ActionOption(v.action, v.action.label, v.note.strip()) for v in verdicts if v.allowed),
        tuple(RefusedAction(v.action, v.action.label, tuple(v.problems)) for v in verdicts if not v.allowed),
    )


def _case_checklist(uow: UnitOfWork, case: Case, today: dt.date) -> tuple[ChecklistItem, ...]:
    ids = case_ids(case.id)
    return tuple(_checklist(case, _letters_sent(uow, ids), _referrals(uow, ids).get(case.id, []), today))


def case_checklist(
    actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None
) -> tuple[ChecklistItem, ...]:
    """The clause 2.3 checklist: each principle pass or missing, with what is missing."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        return _case_checklist(uow, _load(uow, case_id), today)


def service_areas(actor: Actor, uow: UnitOfWork) -> list[ServiceAreaRow]:
    return areas.service_areas(actor, uow, Permission.VIEW_CASES)


def find_case(actor: Actor, customer_id: int, uow: UnitOfWork) -> int | None:
    """The customer's open case, or their latest case; None if they have none."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        rows = list(
            uow.session.execute(
                select(Case.id, Case.stage).where(Case.customer_id == customer_id).order_by(Case.id.desc())
            )
        )
        open_ = [r.id for r in rows if r.stage != Stage.CLOSED]
        return open_[0] if open_ else (rows[0].id if rows else None)


def _decisions(uow: UnitOfWork, case: Case, sent: set[int]) -> tuple[DecisionRow, ...]:
    names = dict(
        uow.session.execute(
            select(StageEvent.id, User.name)
            .join(User, User.id == StageEvent.decided_by_id)
            .where(StageEvent.case_id == case.id)
        ).all()
    )
    return tuple(
        DecisionRow(
            e.id,
            e.to_stage,
            e.decided_on,
            names.get(e.id, ""),
            e.reason,
            e.skip_reason,
            e.review_due,
            e.id in sent,
            _overturned(e),
            tuple(i.id for i in e.evidence),
            clocks.stage_event_clock(e).appeal_by if e.to_stage in rules.DECISION_STAGES else None,
        )
        for e in case.stage_events
    )


def _actions(case: Case, facts: rules.CaseFacts, today: dt.date) -> tuple[ActionRow, ...]:
    incidents = sorted(facts.incidents, key=lambda i: (i.occurred_on, i.id))
    return tuple(
        ActionRow(
            a.id,
            a.kind,
            a.terms,
            a.starts_on,
            a.review_due,
            a.status,
            a.status == ActionStatus.ACTIVE and a.review_due < today,
            tuple(i.id for i in rules.incidents_during(incidents, a.starts_on, a.ended_on or today)),
        )
        for a in sorted(case.formal_actions, key=lambda a: a.id)
    )


def _spoc_rows(uow: UnitOfWork, entries: list[SpocEntry]) -> tuple[SpocRow, ...]:
    rows = []
    for entry in entries:
        rows.append(
            SpocRow(
                entry.id,
                entry.starts_on,
                entry.review_due,
                entry.terms,
                clocks.spoc_clock(uow.session, entry).appeal_by,
            )
        )
    return tuple(rows)


def _appeals(uow: UnitOfWork, case: Case) -> tuple[AppealRow, ...]:
    return tuple(
        AppealRow(
            ap.id,
            SubjectType(ap.subject_type),
            ap.subject_id,
            ap.received_on,
            ap.late,
            ap.due_on,
            ap.decision_maker.name,
            ap.decided_on,
            ap.outcome,
        )
        for ap in uow.session.scalars(
            select(Appeal)
            .options(joinedload(Appeal.decision_maker))
            .where(Appeal.case_id == case.id)
            .order_by(Appeal.id)
        )
    )


def _warning(facts: rules.CaseFacts) -> WarningInForce | None:
    warning = rules.warning_in_force(facts)
    if warning is None:
        return None
    since = tuple(i.id for i in rules.counting_incidents_since(facts, warning.decided_on))
    return WarningInForce(warning.id, warning.decided_on, warning.review_due, since)


def _review_subjects(
    warning: WarningInForce | None, facts: rules.CaseFacts, actions: tuple[ActionRow, ...]
) -> tuple[Subject, ...]:
    subjects = (
        [
            Subject(
                SubjectType.WARNING,
                warning.id,
                Stage.WARNING.label,
                warning.decided_on,
                warning.review_due,
                incidents=warning.incidents_since,
            )
        ]
        if warning
        else []
    )
    by_id = {a.id: a for a in actions}
    subjects += [
        Subject(
            SubjectType.FORMAL_ACTION,
            a.id,
            by_id[a.id].kind.label,
            a.starts_on,
            a.review_due,
            incidents=by_id[a.id].incidents_during,
        )
        for a in rules.reviewable_actions(facts)
    ]
    return tuple(subjects)


def _review_and_pvp_subjects(uow: UnitOfWork, case: Case) -> list[Subject]:
    """Review outcomes that continued or varied a warning or restriction still in force, and the
    customer's active PVP markers: decisions their letters let the customer appeal."""
    live_actions = {a.id: a for a in case.formal_actions if a.status == ActionStatus.ACTIVE}
    warning = case.warning_review_due is not None and case.stage == Stage.WARNING
    subjects = []
    for r in uow.session.scalars(select(Review).where(Review.case_id == case.id).order_by(Review.id)):
        in_force = live_actions.get(r.subject_id) if r.subject_type == SubjectType.FORMAL_ACTION else warning
        if in_force and appeal_rules.review_is_appealable(r.outcome.value):
            what = f"Review ({r.outcome.label.lower()}) of " + (
                live_actions[r.subject_id].kind.label
                if r.subject_type == SubjectType.FORMAL_ACTION
                else "the warning"
            )
            subjects.append(
                Subject(
                    SubjectType.REVIEW,
                    r.id,
                    what,
                    r.held_on,
                    r.next_review_due,
                    clocks.review_clock(uow.session, r).appeal_by,
                )
            )
    for p in uow.session.scalars(
        select(PvpEntry)
        .where(PvpEntry.customer_id == case.customer_id, PvpEntry.status == RegisterStatus.ACTIVE)
        .order_by(PvpEntry.id)
    ):
        if pvp_case_ok(uow, case, p):
            subjects.append(
                Subject(
                    SubjectType.PVP_ENTRY,
                    p.id,
                    "Potentially Violent Person (PVP) marker",
                    clocks.pvp_decided_on(p),
                    p.review_due,
                    clocks.pvp_clock(uow.session, p).appeal_by,
                )
            )
    return subjects


def _appeal_subjects(
    uow: UnitOfWork,
    case: Case,
    facts: rules.CaseFacts,
    decisions: tuple[DecisionRow, ...],
    spocs: tuple[SpocRow, ...],
) -> tuple[Subject, ...]:
    rows = {
        (SubjectType.STAGE_EVENT, d.id): Subject(
            SubjectType.STAGE_EVENT, d.id, d.to_stage.label, d.decided_on, d.review_due, d.appeal_by
        )
        for d in decisions
    }
    rows |= {
        (SubjectType.FORMAL_ACTION, a.id): Subject(
            SubjectType.FORMAL_ACTION,
            a.id,
            a.kind.label,
            a.starts_on,
            a.review_due,
            clocks.formal_action_clock(a).appeal_by,
        )
        for a in case.formal_actions
    }
    rows |= {
        (SubjectType.SPOC_ENTRY, s.id): Subject(
            SubjectType.SPOC_ENTRY,
            s.id,
            "Single point of contact (SPOC)",
            s.starts_on,
            s.review_due,
            s.appeal_by,
        )
        for s in spocs
    }
    extra = _review_and_pvp_subjects(uow, case)
    rows |= {(s.subject_type, s.subject_id): s for s in extra}
    keys = appeal_rules.appealable_subjects(
        facts,
        [s.id for s in spocs],
        tuple(s.subject_id for s in extra if s.subject_type == SubjectType.REVIEW),
        tuple(s.subject_id for s in extra if s.subject_type == SubjectType.PVP_ENTRY),
    )
    return tuple(rows[key] for key in keys)


def case_overview(actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None) -> CaseOverview:
    """Everything the case actions page shows: stage, version, incidents, decisions, actions
    (with the counting incidents since each began), appeals, allowed actions, the checklist,
    and what may be reviewed or appealed now."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        case = _load(uow, case_id)
        facts = _facts(case)
        entries = _active_spoc_entries(uow, case.id)
        decisions = _decisions(uow, case, _letters_sent(uow, case_ids(case.id)))
        actions, spocs, warning = _actions(case, facts, today), _spoc_rows(uow, entries), _warning(facts)
        incidents = tuple(
            IncidentRow(
                i.id,
                i.occurred_at.date(),
                i.category.label,
                i.evidence_source.label,
                i.counts_as_evidence,
                i.violence_or_threat,
            )
            for i in sorted(case.incidents, key=lambda i: i.occurred_at)
        )
        return CaseOverview(
            case.id,
            case.version,
            case.customer_id,
            case.customer.full_name,
            case.customer.housing_ref,
            case.service_area.name,
            case.stage,
            case.closure_reason,
            case.warning_review_due,
            tuple(v.kind.label for v in case.customer.vulnerabilities),
            warning,
            incidents,
            decisions,
            actions,
            spocs,
            _appeals(uow, case),
            _allowed(uow, case, entries),
            _case_checklist(uow, case, today),
            _review_subjects(warning, facts, actions),
            _appeal_subjects(uow, case, facts, decisions, spocs),
            earlier_cases(uow, case),
        )
