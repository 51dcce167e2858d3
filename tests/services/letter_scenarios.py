"""Cases with a full history for the letter tests, built directly with the ORM (stage events,
formal actions, reviews, appeals, a third-party contact and a PVP entry), so these tests do not
depend on the stage-transition service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import (
    ActionStatus,
    AppealOutcome,
    FormalActionType,
    RegisterStatus,
    ReviewOutcome,
    Stage,
)
from core.models import (
    Appeal,
    Case,
    FormalAction,
    Incident,
    PvpEntry,
    Review,
    SpocEntry,
    SpocRequest,
    StageEvent,
    ThirdPartyContact,
)
from core.permissions import Actor
from core.policy.deadlines import appeal_decision_due
from tests.scenarios import a_customer, an_incident

TODAY = dt.date(2026, 11, 20)  # a Friday; the week is 16 to 22 November 2026
UTC = dt.UTC

INFORMAL_INCIDENT = "The customer shouted & swore at the call handler about the fence."
WARNING_INCIDENT = 'Called the repairs line 14 times in one day, saying "I\'ll keep calling" <again>.'
FORMAL_INCIDENT = "Sent 27 emails in two days demanding copies of all records."
HEARSAY_INCIDENT = "A neighbour said the customer had been rude about staff."
ONE_CHANNEL_TERMS = "Contact by email only, answered within 10 working days"
CONTACT_LIMIT_TERMS = "Up to two contacts a week, Monday to Friday 10:00-12:00"
PVP_REASONS = "Threat of violence to a repairs operative (police referred)."
PVP_ARRANGEMENTS = "Two officers on all visits; no lone working."
SPOC_TIMES = "Tuesdays 10:00-12:00"
CLOSED_ON = dt.date(2026, 11, 19)


@dataclass
class CaseHistory:
    customer_id: int
    case_id: int
    incidents: dict[str, int]
    informal_id: int
    warning_id: int
    formal_id: int
    action_ids: list[int]
    review_id: int
    appeal_id: int
    contact_id: int
    pvp_id: int
    spoc_entry_id: int = 0
    closure_id: int = 0


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 30), tzinfo=UTC)


def a_case_with_history(
    url: str,
    actors: dict[str, Actor],
    ref: str = "NPH900001",
    first: str = "Siân",
    last: str = "O'Brien-Nkemelu",
    title: str = "Ms",
    review_held: dt.date = dt.date(2026, 11, 16),
    review_outcome: ReviewOutcome = ReviewOutcome.CONTINUE,
) -> CaseHistory:
    """Informal (June), warning (July, review 17 October), formal (September: two restrictions),
    an upheld appeal against the warning, a review of the first restriction, a third-party
    contact and an active PVP entry; plus a hearsay incident that no letter may use."""
    leader, director, hsw = actors["teamleader"], actors["ad.housing"], actors["hsw"]
    customer_id = a_customer(url, leader, ref=ref, first=first, last=last, title=title)
    incidents = {
        "informal": an_incident(
            url, leader, customer_id, when=_at(dt.date(2026, 6, 10)), description=INFORMAL_INCIDENT
        ),
        "warning": an_incident(
            url,
            leader,
            customer_id,
            when=_at(dt.date(2026, 7, 15)),
            description=WARNING_INCIDENT,
            category="unreasonable_demands",
            behaviours=["contact_overload"],
        ),
        "formal": an_incident(
            url,
            leader,
            customer_id,
            when=_at(dt.date(2026, 9, 1)),
            description=FORMAL_INCIDENT,
            channel="email",
            category="unreasonable_demands",
            behaviours=["large_volumes"],
        ),
        "hearsay": an_incident(
            url,
            leader,
            customer_id,
            when=_at(dt.date(2026, 8, 20)),
            description=HEARSAY_INCIDENT,
            evidence_source="hearsay",
        ),
    }
    with UnitOfWork(url) as uow:
        s = uow.session
        case = s.execute(select(Case).where(Case.customer_id == customer_id).limit(1)).scalar_one()
        found = {k: s.get_one(Incident, v) for k, v in incidents.items()}

        def event(frm: Stage, to: Stage, day: dt.date, evidence: list[Incident], **extra) -> StageEvent:
            e = StageEvent(
                case_id=case.id,
                from_stage=frm,
                to_stage=to,
                decided_on=day,
                decided_by_id=leader.user_id,
                reason="Behaviour set out.",
                underlying_issues_considered=True,
                **extra,
            )
            e.evidence = evidence
            s.add(e)
            s.flush()
            return e

        informal = event(
            Stage.NONE,
            Stage.INFORMAL,
            dt.date(2026, 6, 12),
            [found["informal"]],
            details={"contact_made": True},
            notified_on=dt.date(2026, 6, 12),
        )
        warning = event(
            Stage.INFORMAL,
            Stage.WARNING,
            dt.date(2026, 7, 17),
            [found["warning"], found["hearsay"]],
            review_due=dt.date(2026, 10, 17),
        )
        formal = event(Stage.WARNING, Stage.FORMAL, dt.date(2026, 9, 3), [found["formal"]])
        actions = [
            FormalAction(
                case_id=case.id,
                stage_event_id=formal.id,
                kind=FormalActionType.ONE_CHANNEL,
                terms=ONE_CHANNEL_TERMS,
                starts_on=dt.date(2026, 9, 3),
                review_due=dt.date(2026, 12, 3),
            ),
            FormalAction(
                case_id=case.id,
                stage_event_id=formal.id,
                kind=FormalActionType.CONTACT_LIMITS,
                terms=CONTACT_LIMIT_TERMS,
                starts_on=dt.date(2026, 9, 3),
                review_due=dt.date(2027, 3, 3),
            ),
        ]
        s.add_all(actions)
        s.flush()
        next_due = (
            dt.date(2027, 5, 16) if review_outcome in (ReviewOutcome.CONTINUE, ReviewOutcome.VARY) else None
        )
        review = Review(
            case_id=case.id,
            subject_type="formal_action",
            subject_id=actions[0].id,
            held_on=review_held,
            reviewed_by_id=leader.user_id,
            outcome=review_outcome,
            next_review_due=next_due,
            evidence_considered="Contact log since September.",
            notes="Contact has reduced but is still frequent.",
        )
        if review_outcome == ReviewOutcome.LIFT:
            actions[0].status = ActionStatus.LIFTED
            actions[0].ended_on = review_held
        received = dt.date(2026, 7, 25)
        appeal = Appeal(
            case_id=case.id,
            subject_type="stage_event",
            subject_id=warning.id,
            received_on=received,
            grounds="The calls were about an urgent leak.",
            decision_maker_id=director.user_id,
            due_on=appeal_decision_due(received),
            decided_on=dt.date(2026, 7, 30),
            outcome=AppealOutcome.UPHELD,
            decision_notes="The call records support the warning.",
            recorded_by_id=leader.user_id,
        )
        contact = ThirdPartyContact(
            customer_id=customer_id,
            name="Łukasz Nowak",
            relationship_to_customer="brother",
            started_on=dt.date(2026, 11, 17),
        )
        pvp = PvpEntry(
            customer_id=customer_id,
            proposed_by_id=leader.user_id,
            reasons=PVP_REASONS,
            arrangements=PVP_ARRANGEMENTS,
            status=RegisterStatus.ACTIVE,
            approved_by_id=hsw.user_id,
            starts_on=dt.date(2026, 11, 18),
            review_due=dt.date(2027, 11, 18),
        )
        s.add_all([review, appeal, contact, pvp])
        spoc = _approved_spoc(s, case, leader, actors["dmo"], [found["formal"]])
        # A closing decision on record (issue 13: the closure letter); the case stays formal for the
        # other letters.
        closure = event(Stage.FORMAL, Stage.CLOSED, CLOSED_ON, [], details={"closure_letter": "sent"})
        case.stage = Stage.FORMAL
        case.warning_review_due = warning.review_due
        uow.commit()
        return CaseHistory(
            customer_id,
            case.id,
            incidents,
            informal.id,
            warning.id,
            formal.id,
            [a.id for a in actions],
            review.id,
            appeal.id,
            contact.id,
            pvp.id,
            spoc.id,
            closure.id,
        )


def _approved_spoc(s, case: Case, leader: Actor, dmo: Actor, evidence: list[Incident]) -> SpocEntry:
    """A SPOC requested at the formal stage and approved by the DMO at the review meeting (clause 5)."""
    request = SpocRequest(
        case_id=case.id,
        customer_id=case.customer_id,
        requested_by_id=leader.user_id,
        reason="Contact with five teams a day.",
        status=RegisterStatus.ACTIVE,
        meeting_on=dt.date(2026, 9, 10),
        attendees="DMO; team leader",
        discussion="Contact log.",
        decision_reason="Proportionate.",
        decided_by_id=dmo.user_id,
    )
    request.evidence = evidence
    s.add(request)
    s.flush()
    entry = SpocEntry(
        request_id=request.id,
        customer_id=case.customer_id,
        case_id=case.id,
        spoc_user_id=leader.user_id,
        channels=["email", "phone"],
        contact_times=SPOC_TIMES,
        contact_limit="One call a week",
        terms="",
        starts_on=dt.date(2026, 9, 10),
        review_due=dt.date(2027, 3, 10),
        status=RegisterStatus.ACTIVE,
    )
    s.add(entry)
    s.flush()
    return entry
