"""The compliance view: open cases with a clause 2.3 principle missing or a deadline passed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    Stage,
)
from core.models import (
    Appeal,
    Case,
    Letter,
    ServiceReferral,
)
from core.permissions import Actor, Permission, require
from core.policy import checklist as checklist_rules
from core.policy import stages as rules
from core.services.cases._common import (
    DECISION_LETTERS,
    _case_query,
    _overturned,
    _today,
)


def _letters_sent(uow: UnitOfWork, event_ids: list[int]) -> set[int]:
    if not event_ids:
        return set()
    rows = uow.session.scalars(
        select(Letter.subject_id).where(
            Letter.subject_type == "stage_event",
            Letter.subject_id.in_(event_ids),
            Letter.letter_type.in_(DECISION_LETTERS),
            or_(Letter.status == "sent", Letter.sent_on.is_not(None)),
        )
    )
    return set(rows)


def _referrals(uow: UnitOfWork, case_ids: list[int]) -> dict[int, list[ServiceReferral]]:
    out: dict[int, list[ServiceReferral]] = {}
    if case_ids:
        for r in uow.session.scalars(
            select(ServiceReferral)
            .options(selectinload(ServiceReferral.service_area))
            .where(ServiceReferral.case_id.in_(case_ids))
        ):
            out.setdefault(r.case_id, []).append(r)
    return out


def _checklist(
    case: Case,
    sent: set[int],
    referrals: list[ServiceReferral],
    today: dt.date,
    reviewed_warnings: set[int] = frozenset(),
) -> list[checklist_rules.ChecklistItem]:
    decisions = [
        checklist_rules.DecisionFact(
            e.id,
            e.from_stage,
            e.to_stage,
            e.decided_on,
            e.reason,
            e.skip_reason,
            sum(1 for i in e.evidence if i.counts_as_evidence),
            e.underlying_issues_considered,
            e.id in sent,
            e.review_due,
            _overturned(e),
        )
        for e in case.stage_events
        if e.to_stage in rules.DECISION_STAGES
    ]
    restrictions = [
        checklist_rules.RestrictionFact(a.id, a.kind, a.terms, a.review_due, a.status == ActionStatus.ACTIVE)
        for a in case.formal_actions
    ]
    refs = [
        checklist_rules.ReferralFact(r.id, r.description, r.service_area.name, r.resolved_at is not None)
        for r in referrals
    ]
    return checklist_rules.case_checklist(decisions, restrictions, refs, today, case.warning_review_due, case.stage)


def _overdue(case: Case, appeals: list[Appeal], sent: set[int], today: dt.date) -> list[dict]:
    items = []
    if case.stage == Stage.WARNING and case.warning_review_due and case.warning_review_due < today:
        items.append({"what": "Warning review", "due": case.warning_review_due})
    for a in case.formal_actions:
        if a.status == ActionStatus.ACTIVE and a.review_due < today:
            items.append({"what": f"Review: {a.kind.label}", "due": a.review_due})
    for ap in appeals:
        if ap.decided_on is None and ap.due_on < today:
            items.append({"what": "Appeal decision", "due": ap.due_on})
    for e in case.stage_events:
        due = (e.details or {}).get("outcome_letter_due")
        if e.to_stage == Stage.INFORMAL and due and not _overturned(e) and e.id not in sent:
            due_date = dt.date.fromisoformat(due)
            if due_date < today:
                items.append({"what": "Informal stage outcome letter", "due": due_date})
    for item in items:
        item["days_overdue"] = (today - item["due"]).days
    return sorted(items, key=lambda i: i["due"])


def compliance_overview(
    actor: Actor,
    uow: UnitOfWork,
    today: dt.date | None = None,
    service_area_id: int | None = None,
) -> list[dict]:
    """Every open case with its failing clause 2.3 items and overdue deadlines (only cases with
    at least one of either), most overdue first."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    with uow:
        stmt = _case_query().where(Case.stage != Stage.CLOSED)
        if service_area_id:
            stmt = stmt.where(Case.service_area_id == service_area_id)
        cases = list(uow.session.scalars(stmt.order_by(Case.id)))
        ids = [c.id for c in cases]
        sent = _letters_sent(uow, [e.id for c in cases for e in c.stage_events])
        referrals = _referrals(uow, ids)
        appeals: dict[int, list[Appeal]] = {}
        if ids:
            for ap in uow.session.scalars(select(Appeal).where(Appeal.case_id.in_(ids), Appeal.decided_on.is_(None))):
                appeals.setdefault(ap.case_id, []).append(ap)
        rows = []
        for case in cases:
            failing = checklist_rules.failing(_checklist(case, sent, referrals.get(case.id, []), today))
            overdue = _overdue(case, appeals.get(case.id, []), sent, today)
            if not failing and not overdue:
                continue
            rows.append(
                {
                    "case_id": case.id,
                    "customer_id": case.customer_id,
                    "customer": case.customer.full_name,
                    "housing_ref": case.customer.housing_ref,
                    "service_area_id": case.service_area_id,
                    "service_area": case.service_area.name,
                    "stage": case.stage.label,
                    "failing": [i.label for i in failing],
                    "missing": [m for i in failing for m in i.missing],
                    "overdue": [
                        {
                            "what": o["what"],
                            "due": o["due"],
                            "days_overdue": o["days_overdue"],
                        }
                        for o in overdue
                    ],
                    "most_days_overdue": max((o["days_overdue"] for o in overdue), default=0),
                }
            )
        return sorted(
            rows,
            key=lambda r: (-r["most_days_overdue"], -len(r["failing"]), r["case_id"]),
        )
