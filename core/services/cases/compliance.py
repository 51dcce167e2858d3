"""The compliance view: open cases with a clause 2.3 principle missing or a deadline passed.

Paged by case id (keyset), with the letters, referrals and appeals of the cases on a page found
by subqueries in the database, never by lists of ids bound as parameters.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, subqueryload

from core.db import UnitOfWork
from core.enums import ActionStatus, Stage, SubjectType
from core.models import Appeal, Case, Letter, ServiceReferral, StageEvent
from core.permissions import Actor, Permission, require
from core.policy import checklist as checklist_rules
from core.policy import stages as rules
from core.services.cases._common import DECISION_LETTERS, _overturned, _today
from core.services.cases.views import ComplianceRow, Overdue, Page

PAGE_SIZE = 50
MAX_BATCHES = 10  # open cases looked at for one page: at most this many pages' worth


def case_ids(case_id: int) -> Select:
    """The one case, as the id query the helpers below take."""
    return select(Case.id).where(Case.id == case_id)


def _letters_sent(uow: UnitOfWork, ids: Select) -> set[int]:
    """The stage decisions (of the cases `ids` selects) whose decision letter has been sent."""
    return set(
        uow.session.scalars(
            select(Letter.subject_id)
            .join(
                StageEvent,
                and_(Letter.subject_type == SubjectType.STAGE_EVENT, Letter.subject_id == StageEvent.id),
            )
            .where(
                StageEvent.case_id.in_(ids),
                Letter.letter_type.in_(DECISION_LETTERS),
                or_(Letter.status == "sent", Letter.sent_on.is_not(None)),
            )
        )
    )


def _referrals(uow: UnitOfWork, ids: Select) -> dict[int, list[ServiceReferral]]:
    out: dict[int, list[ServiceReferral]] = {}
    for r in uow.session.scalars(
        select(ServiceReferral)
        .options(joinedload(ServiceReferral.service_area))
        .where(ServiceReferral.case_id.in_(ids))
        .order_by(ServiceReferral.id)
    ):
        if r.case_id is not None:  # always set: the query selects by case
            out.setdefault(r.case_id, []).append(r)
    return out


def _undecided(uow: UnitOfWork, ids: Select) -> dict[int, list[Appeal]]:
    out: dict[int, list[Appeal]] = {}
    for ap in uow.session.scalars(
        select(Appeal).where(Appeal.case_id.in_(ids), Appeal.decided_on.is_(None)).order_by(Appeal.id)
    ):
        out.setdefault(ap.case_id, []).append(ap)
    return out


def _checklist(
    case: Case, sent: set[int], referrals: list[ServiceReferral], today: dt.date
) -> list[checklist_rules.ChecklistItem]:
    """The clause 2.3 checklist of one loaded case (the pure rule is core.policy.checklist)."""
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
    return checklist_rules.case_checklist(
        decisions, restrictions, refs, today, case.warning_review_due, case.stage
    )


def _overdue(case: Case, appeals: list[Appeal], sent: set[int], today: dt.date) -> tuple[Overdue, ...]:
    items: list[tuple[str, dt.date]] = []
    if case.stage == Stage.WARNING and case.warning_review_due and case.warning_review_due < today:
        items.append(("Warning review", case.warning_review_due))
    items += [
        (f"Review: {a.kind.label}", a.review_due)
        for a in case.formal_actions
        if a.status == ActionStatus.ACTIVE and a.review_due < today
    ]
    items += [("Appeal decision", ap.due_on) for ap in appeals if ap.decided_on is None and ap.due_on < today]
    for e in case.stage_events:
        due = (e.details or {}).get("outcome_letter_due")
        if e.to_stage == Stage.INFORMAL and due and not _overturned(e) and e.id not in sent:
            due_date = dt.date.fromisoformat(due)
            if due_date < today:
                items.append(("Informal stage outcome letter", due_date))
    return tuple(Overdue(what, due, (today - due).days) for what, due in sorted(items, key=lambda i: i[1]))


def _batch(uow: UnitOfWork, ids: Select, today: dt.date) -> tuple[list[int], list[ComplianceRow]]:
    """The open cases `ids` selects: every id looked at, and the rows of those needing attention."""
    cases = list(
        uow.session.scalars(
            select(Case)
            .where(Case.id.in_(ids))
            .order_by(Case.id)
            .options(
                subqueryload(Case.stage_events).subqueryload(StageEvent.evidence),
                subqueryload(Case.formal_actions),
                joinedload(Case.customer),
                joinedload(Case.service_area),
            )
        )
    )
    sent, referrals, appeals = _letters_sent(uow, ids), _referrals(uow, ids), _undecided(uow, ids)
    rows = []
    for case in cases:
        failing = checklist_rules.failing(_checklist(case, sent, referrals.get(case.id, []), today))
        overdue = _overdue(case, appeals.get(case.id, []), sent, today)
        if failing or overdue:
            rows.append(
                ComplianceRow(
                    case.id,
                    case.customer_id,
                    case.customer.full_name,
                    case.customer.housing_ref,
                    case.service_area_id,
                    case.service_area.name,
                    case.stage,
                    tuple(i.label for i in failing),
                    tuple(m for i in failing for m in i.missing),
                    overdue,
                )
            )
    return [c.id for c in cases], rows


def compliance_overview(
    actor: Actor,
    uow: UnitOfWork,
    today: dt.date | None = None,
    service_area_id: int | None = None,
    *,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> Page[ComplianceRow]:
    """One page of the open cases with a failing clause 2.3 item or an overdue deadline (cases
    with neither are passed over), in case order after `after`; on the page, most overdue first.
    `total` counts the open cases (in the service area) the list runs through."""
    require(actor, Permission.VIEW_CASES)
    today = _today(today)
    open_ = [Case.stage != Stage.CLOSED] + (
        [Case.service_area_id == service_area_id] if service_area_id else []
    )
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(Case).where(*open_)) or 0
        rows: list[ComplianceRow] = []
        cursor = after
        for _ in range(MAX_BATCHES):
            ids = select(Case.id).where(*open_, Case.id > (cursor or 0)).order_by(Case.id).limit(limit)
            seen, found = _batch(uow, ids, today)
            rows += found
            cursor = seen[-1] if len(seen) == limit else None
            if cursor is None or len(rows) >= limit:
                break
        if len(rows) > limit:
            rows, cursor = rows[:limit], rows[limit - 1].case_id
        rows.sort(key=lambda r: (-r.most_days_overdue, -len(r.failing), r.case_id))
        return Page(rows, total, cursor)
