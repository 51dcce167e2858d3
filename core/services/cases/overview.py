"""Reading a case: what the policy allows next, the clause 2.3 checklist and the case overview."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    Stage,
)
from core.models import (
    Appeal,
    Case,
    ServiceArea,
    User,
)
from core.permissions import Actor, Permission, require
from core.policy import appeals as appeal_rules
from core.policy import checklist as checklist_rules
from core.policy import stages as rules
from core.policy.deadlines import (
    appeal_deadline,
    appeal_window_start,
)
from core.services.cases._common import (
    _active_spoc_entries,
    _facts,
    _last_live,
    _load,
    _overturned,
    _today,
    _undecided_appeals,
)
from core.services.cases.appeals import _spoc_decision
from core.services.cases.compliance import _checklist, _letters_sent, _referrals


def allowed_actions(actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None) -> dict:
    """What the policy allows next on this case, and why each other action is not allowed."""
    require(actor, Permission.VIEW_CASES)
    with uow:
        case = _load(uow, case_id)
        return _allowed(uow, case)


def _allowed(uow: UnitOfWork, case: Case) -> dict:
    verdicts = rules.next_actions(_facts(case, len(_undecided_appeals(uow, case.id))))
    verdicts = appeal_rules.with_spoc_appeals(verdicts, len(_active_spoc_entries(uow, case.id)))
    return {
        "case_id": case.id,
        "stage": case.stage.value,
        "stage_label": case.stage.label,
        "version": case.version,
        "allowed": [
            {"action": v.action.value, "label": v.action.label, "note": v.note.strip()} for v in verdicts if v.allowed
        ],
        "refused": [
            {
                "action": v.action.value,
                "label": v.action.label,
                "reasons": list(v.problems),
            }
            for v in verdicts
            if not v.allowed
        ],
    }


def _item_dict(item: checklist_rules.ChecklistItem) -> dict:
    return {
        "key": item.key,
        "label": item.label,
        "status": item.status,
        "missing": list(item.missing),
        "detail": item.detail,
    }


def case_checklist(actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None) -> list[dict]:
    """The clause 2.3 checklist: each principle pass or missing, with what is missing."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        case = _load(uow, case_id)
        sent = _letters_sent(uow, [e.id for e in case.stage_events])
        return [_item_dict(i) for i in _checklist(case, sent, _referrals(uow, [case.id]).get(case.id, []), today)]


def service_areas(actor: Actor, uow: UnitOfWork) -> list[dict]:
    require(actor, Permission.VIEW_CASES)
    with uow:
        return [
            {"id": a.id, "name": a.name} for a in uow.session.scalars(select(ServiceArea).order_by(ServiceArea.name))
        ]


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


def case_overview(actor: Actor, case_id: int, uow: UnitOfWork, today: dt.date | None = None) -> dict:
    """Everything the case actions page shows: stage, version, incidents, decisions, actions
    (with the counting incidents since each began), appeals, allowed actions and the checklist."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        case = _load(uow, case_id)
        sent = _letters_sent(uow, [e.id for e in case.stage_events])
        all_appeals = list(
            uow.session.scalars(
                select(Appeal)
                .options(selectinload(Appeal.decision_maker))
                .where(Appeal.case_id == case.id)
                .order_by(Appeal.id)
            )
        )
        users = {
            u.id: u.name
            for u in uow.session.scalars(
                select(User).where(User.id.in_({e.decided_by_id for e in case.stage_events} or {0}))
            )
        }
        incidents = sorted(case.incidents, key=lambda i: i.occurred_at)
        facts = _facts(case)
        spoc_entries = []
        for entry in _active_spoc_entries(uow, case.id):
            decided_on, _ = _spoc_decision(uow, entry)
            spoc_entries.append(
                {
                    "id": entry.id,
                    "starts_on": entry.starts_on,
                    "review_due": entry.review_due,
                    "terms": entry.terms,
                    "appeal_by": appeal_deadline(appeal_rules.spoc_appeal_window_start(decided_on, entry.starts_on)),
                }
            )
        warning = _last_live(case, Stage.WARNING) if case.stage == Stage.WARNING else None
        return {
            "case_id": case.id,
            "version": case.version,
            "customer_id": case.customer_id,
            "customer": case.customer.full_name,
            "housing_ref": case.customer.housing_ref,
            "service_area": case.service_area.name,
            "stage": case.stage.value,
            "stage_label": case.stage.label,
            "closure_reason": case.closure_reason,
            "warning_review_due": case.warning_review_due,
            "vulnerabilities": [v.kind.label for v in case.customer.vulnerabilities],
            "warning_in_force": (
                {
                    "id": warning.id,
                    "decided_on": warning.decided_on,
                    "review_due": warning.review_due,
                    "incidents_since": [f.id for f in rules.counting_incidents_since(facts, warning.decided_on)],
                }
                if warning
                else None
            ),
            "incidents": [
                {
                    "id": i.id,
                    "occurred_on": i.occurred_at.date(),
                    "category": i.category.label,
                    "evidence": i.evidence_source.label,
                    "counts": i.counts_as_evidence,
                    "violence_or_threat": i.violence_or_threat,
                }
                for i in incidents
            ],
            "decisions": [
                {
                    "id": e.id,
                    "stage": e.to_stage.label,
                    "to_stage": e.to_stage.value,
                    "decided_on": e.decided_on,
                    "decided_by": users.get(e.decided_by_id, ""),
                    "reason": e.reason,
                    "skip_reason": e.skip_reason,
                    "review_due": e.review_due,
                    "letter_sent": e.id in sent,
                    "overturned": _overturned(e),
                    "evidence": [i.id for i in e.evidence],
                    "appeal_by": appeal_deadline(appeal_window_start(e.notified_on, e.decided_on))
                    if e.to_stage in rules.DECISION_STAGES
                    else None,
                }
                for e in case.stage_events
            ],
            "actions": [
                {
                    "id": a.id,
                    "kind": a.kind.value,
                    "label": a.kind.label,
                    "terms": a.terms,
                    "starts_on": a.starts_on,
                    "review_due": a.review_due,
                    "status": a.status.label,
                    "active": a.status == ActionStatus.ACTIVE,
                    "review_overdue": a.status == ActionStatus.ACTIVE and a.review_due < today,
                    "incidents_during": [
                        i.id
                        for i in incidents
                        if i.counts_as_evidence and a.starts_on <= i.occurred_at.date() <= (a.ended_on or today)
                    ],
                }
                for a in sorted(case.formal_actions, key=lambda a: a.id)
            ],
            "spoc_entries": spoc_entries,  # active SPOCs on the register: appealable to the ICT AD
            "appeals": [
                {
                    "id": ap.id,
                    "subject_type": ap.subject_type,
                    "subject_id": ap.subject_id,
                    "received_on": ap.received_on,
                    "late": ap.late,
                    "due_on": ap.due_on,
                    "decision_maker": ap.decision_maker.name,
                    "decided_on": ap.decided_on,
                    "outcome": ap.outcome.label if ap.outcome else "",
                }
                for ap in all_appeals
            ],
            "next": _allowed(uow, case),
            "checklist": [
                _item_dict(i) for i in _checklist(case, sent, _referrals(uow, [case.id]).get(case.id, []), today)
            ],
        }
