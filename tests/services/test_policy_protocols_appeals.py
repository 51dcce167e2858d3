"""Issue 13 items 2, 3 and 4 and the invented rules dropped, on SQLite and PostgreSQL.

Clause 4.2: one appeal clock (28 days from the day the customer was told, the date the letter
states); every appeal a letter offers can be recorded and decided; the decision maker is chosen
by the rule. Clause 4.1: each case judged on its merits (no invented blocks).

Timeline (case_scenarios): incident 1 Sep 2026, informal stage 5 Sep, incident 1 Oct, warning
5 Oct, incident 1 Nov, formal action 5 Nov; "today" 20 Nov 2026.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import ActionStatus, FormalActionType, RegisterStatus
from core.errors import PermissionDenied, PolicyError
from core.models import Appeal, AuditEntry, FormalAction, Incident, PvpEntry, Review, StageEvent
from core.services import cases
from core.services import letters as svc
from tests.services.case_scenarios import (
    FORMAL_ON,
    INFORMAL_ON,
    TODAY,
    a_case,
    a_case_at_formal_stage,
    a_case_at_informal_stage,
    formal_decision,
    informal_details,
    version,
    warning_decision,
)

D = dt.date
GROUNDS = "I was never told what I had done wrong."


def appeal(url, uow, who, case_id, subject_type, subject_id, received, today=None, **kw):
    return cases.record_appeal(
        who,
        case_id,
        subject_type,
        subject_id,
        received,
        GROUNDS,
        version(url, case_id),
        uow(),
        today or received,
        **kw,
    )


def row(url, model, id_):
    with UnitOfWork(url) as u:
        obj = u.session.get(model, id_)
        u.session.expunge(obj)
        return obj


def event_of(url, case_id, stage):
    with UnitOfWork(url) as u:
        return u.session.scalars(
            select(StageEvent.id).where(StageEvent.case_id == case_id, StageEvent.to_stage == stage)
        ).all()[-1]


def overview_subject(url, actors, case_id, subject_type, subject_id, today):
    view = cases.case_overview(actors["teamleader"], case_id, UnitOfWork(url), today)
    return next(
        (s for s in view.appeal_subjects if s.subject_type == subject_type and s.subject_id == subject_id),
        None,
    )


# ---------------------------------------------------------------- item 2: one appeal clock


def test_clause_4_2_the_informal_letter_of_19_september_gives_the_appeal_clock(db_url, uow, actors):
    """The informal-stage letter sent 19 Sept says "appeal by 17 October"; an appeal received on
    10 October is on time (it used to be refused as late, counted from the 5 September conversation)."""
    case_id = a_case_at_informal_stage(db_url, actors)
    informal = event_of(db_url, case_id, "informal")
    sent = svc.mark_sent(
        actors["teamleader"], case_id, "informal_summary", informal, None, uow(), today=D(2026, 9, 19)
    )
    assert sent.appeal_by == D(2026, 10, 17)
    assert (
        "17 October 2026"
        in svc.draft_letter(
            actors["teamleader"], case_id, "informal_summary", informal, None, uow(), today=D(2026, 9, 25)
        ).preview
    )
    assert overview_subject(db_url, actors, case_id, "stage_event", informal, D(2026, 10, 10)).appeal_by == D(
        2026, 10, 17
    )
    appeal_id = appeal(db_url, uow, actors["teamleader"], case_id, "stage_event", informal, D(2026, 10, 10))
    assert row(db_url, Appeal, appeal_id).late is False


def test_clause_4_2_an_appeal_after_the_letters_date_is_late_by_the_letters_count(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    informal = event_of(db_url, case_id, "informal")
    svc.mark_sent(
        actors["teamleader"], case_id, "informal_summary", informal, None, uow(), today=D(2026, 9, 19)
    )
    with pytest.raises(PolicyError, match="ended on 17 October 2026, and it was received 3 day"):
        appeal(db_url, uow, actors["teamleader"], case_id, "stage_event", informal, D(2026, 10, 20))


REVIEW_HELD = dt.date(2027, 4, 20)


def a_continued_restriction(url, actors, uow, held_on=REVIEW_HELD):
    """A formal-stage case whose restriction was reviewed and continued; returns (case, action, review)."""
    case_id = a_case_at_formal_stage(url, actors)
    with UnitOfWork(url) as u:
        action_id = u.session.scalars(select(FormalAction.id).where(FormalAction.case_id == case_id)).first()
    review = cases.ReviewDecision(
        "formal_action",
        action_id,
        "continue",
        "Two further calls logged; terms kept.",
        held_on=held_on,
        next_review_due=D(2027, 10, 20),
    )
    review_id = cases.record_review(
        actors["teamleader"], case_id, review, version(url, case_id), uow(), held_on
    )
    return case_id, action_id, review_id


def test_clause_4_2_the_review_outcome_letter_offers_an_appeal_on_its_own_clock(db_url, uow, actors):
    """A review-outcome letter offers an appeal: it is recorded against the review, on time, and
    not counted from the formal decision months before (which called it 168 days late)."""
    case_id, _, review_id = a_continued_restriction(db_url, actors, uow)
    sent = svc.mark_sent(
        actors["teamleader"], case_id, "review_outcome", review_id, None, uow(), today=D(2027, 4, 22)
    )
    assert sent.appeal_by == D(2027, 5, 20)
    assert overview_subject(db_url, actors, case_id, "review", review_id, D(2027, 5, 10)).appeal_by == D(
        2027, 5, 20
    )
    appeal_id = appeal(db_url, uow, actors["teamleader"], case_id, "review", review_id, D(2027, 5, 10))
    stored = row(db_url, Appeal, appeal_id)
    assert stored.late is False and stored.decision_maker_id == actors["ad.housing"].user_id
    ack = svc.draft_letter(
        actors["teamleader"], case_id, "appeal_ack", appeal_id, None, uow(), today=D(2027, 5, 11)
    )
    assert (
        "Against",
        "the outcome of our review of the arrangement “Contact limited to certain times or a number "
        "of contacts” that started on 5 November 2026 of 22 April 2027",
    ) in ack.facts


# ---------------------------------------------------------------- item 3: every appeal can be recorded and decided


def test_clause_4_2_a_review_outcome_appeal_is_decided_and_varies_the_restriction(db_url, uow, actors):
    case_id, action_id, review_id = a_continued_restriction(db_url, actors, uow)
    appeal_id = appeal(db_url, uow, actors["teamleader"], case_id, "review", review_id, D(2027, 5, 1))
    decided = cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision(
            "varied", "One call a week is enough.", varied_terms="One call a week, Tuesday 10:00-12:00"
        ),
        version(db_url, case_id),
        uow(),
        D(2027, 5, 4),
    )
    assert decided.outcome.value == "varied"
    assert row(db_url, FormalAction, action_id).terms == "One call a week, Tuesday 10:00-12:00"


def test_clause_4_2_a_review_that_lifted_the_restriction_is_not_appealable(db_url, uow, actors):
    case_id, action_id, _ = a_continued_restriction(db_url, actors, uow)
    lift = cases.ReviewDecision(
        "formal_action", action_id, "lift", "No further incidents.", held_on=D(2027, 10, 20)
    )
    review_id = cases.record_review(
        actors["teamleader"], case_id, lift, version(db_url, case_id), uow(), D(2027, 10, 20)
    )
    assert row(db_url, Review, review_id).outcome.value == "lift"
    with pytest.raises(PolicyError, match="continued or varied"):
        appeal(db_url, uow, actors["teamleader"], case_id, "review", review_id, D(2027, 10, 25))


PVP_START, PVP_TOLD = dt.date(2026, 11, 10), dt.date(2026, 11, 12)


def a_pvp_marker(url, actors, case_id, starts_on=PVP_START, notified_on=PVP_TOLD):
    with UnitOfWork(url) as u:
        incident = u.session.scalars(select(Incident).where(Incident.case_id == case_id)).first()
        entry = PvpEntry(
            customer_id=incident.customer_id,
            proposed_by_id=actors["teamleader"].user_id,
            reasons="Threatened a surveyor.",
            status=RegisterStatus.ACTIVE,
            approved_by_id=actors["hsw"].user_id,
            approved_at=dt.datetime.combine(starts_on, dt.time(9), tzinfo=dt.UTC),
            starts_on=starts_on,
            review_due=D(2027, 5, 10),
            customer_notified_on=notified_on,
        )
        u.session.add(entry)
        u.commit()
        return entry.id


def test_clause_5_the_pvp_notices_challenge_is_recorded_routed_and_decided(db_url, uow, actors):
    """The PVP notice's challenge is an appeal against the pvp_entry, decided by the Assistant
    Director of the service area (the H&S Well-being Officer took the decision)."""
    case_id = a_case_at_formal_stage(db_url, actors)
    entry_id = a_pvp_marker(db_url, actors, case_id)
    assert overview_subject(db_url, actors, case_id, "pvp_entry", entry_id, TODAY).appeal_by == D(
        2026, 12, 10
    )
    route = cases.route_for(actors["teamleader"], case_id, "pvp_entry", entry_id, uow())
    assert route.decision_maker_id == actors["ad.housing"].user_id and "Health and Safety" in route.rule
    appeal_id = appeal(db_url, uow, actors["teamleader"], case_id, "pvp_entry", entry_id, D(2026, 12, 1))
    cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision("overturned", "Not a threat."),
        version(db_url, case_id),
        uow(),
        D(2026, 12, 3),
    )
    assert row(db_url, PvpEntry, entry_id).status == RegisterStatus.ENDED


def test_clause_4_2_a_spoc_inside_a_formal_decision_goes_to_the_ad_for_corporate_service_and_ict(
    db_url, uow, actors
):
    case_id = a_case_at_formal_stage(db_url, actors)
    formal = event_of(db_url, case_id, "formal")
    with UnitOfWork(db_url) as u:  # a SPOC among the decision's actions (as older records have)
        u.session.add(
            FormalAction(
                case_id=case_id,
                stage_event_id=formal,
                kind=FormalActionType.SPOC,
                terms="All contact through Priya Shah.",
                starts_on=FORMAL_ON,
                review_due=D(2027, 5, 5),
                status=ActionStatus.ACTIVE,
            )
        )
        u.commit()
    route = cases.route_for(actors["teamleader"], case_id, "stage_event", formal, uow())
    assert route.decision_maker_id == actors["ad.ict"].user_id


@pytest.mark.parametrize("who", ["ad.customer", "dmo"])
def test_clause_4_2_an_assistant_director_or_the_dmo_can_log_an_appeal_they_receive(db_url, uow, actors, who):
    case_id = a_case_at_formal_stage(db_url, actors)
    decision = event_of(db_url, case_id, "formal")
    appeal_id = appeal(db_url, uow, actors[who], case_id, "stage_event", decision, TODAY)
    stored = row(db_url, Appeal, appeal_id)
    assert stored.recorded_by_id == actors[who].user_id
    assert stored.decision_maker_id == actors["ad.housing"].user_id


def test_clause_4_2_a_contractor_cannot_log_an_appeal(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    with pytest.raises(PermissionDenied):
        appeal(
            db_url, uow, actors["hsw"], case_id, "stage_event", event_of(db_url, case_id, "warning"), TODAY
        )


# ---------------------------------------------------------------- item 4: the decision maker by the rule


def test_clause_4_2_the_appeal_cannot_be_sent_away_from_the_rules_decision_maker(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    decision = event_of(db_url, case_id, "formal")
    route = cases.route_for(actors["teamleader"], case_id, "stage_event", decision, uow())
    assert route.conflict is False and route.alternatives == ()
    with pytest.raises(PolicyError, match="another may decide only when they took part"):
        appeal(
            db_url,
            uow,
            actors["teamleader"],
            case_id,
            "stage_event",
            decision,
            TODAY,
            decision_maker_id=actors["ad.ict"].user_id,
        )
    with UnitOfWork(db_url) as u:
        assert u.session.scalar(select(Appeal.id)) is None
        assert not [a for a in u.session.scalars(select(AuditEntry)) if "Routed away" in (a.reason or "")]


def test_clause_4_2_when_the_usual_decider_took_part_another_ad_decides_and_the_conflict_is_recorded(
    db_url, uow, actors
):
    case_id = a_case_at_formal_stage(db_url, actors)
    decision = event_of(db_url, case_id, "formal")
    with UnitOfWork(db_url) as u:  # the Housing AD took the warning decision themselves
        u.session.get(StageEvent, decision).decided_by_id = actors["ad.housing"].user_id
        u.commit()
    route = cases.route_for(actors["teamleader"], case_id, "stage_event", decision, uow())
    assert route.conflict is True and actors["ad.housing"].user_id not in [a.id for a in route.alternatives]
    appeal_id = appeal(
        db_url,
        uow,
        actors["teamleader"],
        case_id,
        "stage_event",
        decision,
        TODAY,
        decision_maker_id=actors["ad.repairs"].user_id,
    )
    assert row(db_url, Appeal, appeal_id).decision_maker_id == actors["ad.repairs"].user_id
    with UnitOfWork(db_url) as u:
        audit = u.session.scalars(select(AuditEntry).where(AuditEntry.action == "record_appeal")).one()
        assert "Conflict recorded: Helen Marsh took part in the decision" in audit.reason


# ---------------------------------------------------------------- invented rules dropped (clause 4.1)


def test_clause_4_1_a_further_formal_action_may_rest_on_the_evidence_on_the_case(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    with UnitOfWork(db_url) as u:
        evidence = [i.id for i in u.session.scalars(select(Incident).where(Incident.case_id == case_id))]
    more = formal_decision(
        [{"kind": "issue_limit", "terms": "One issue a month", "review_due": D(2027, 5, 20)}],
        decided_on=TODAY,
        skip_reason="The contact limits alone have not reduced the load.",
        incident_ids=evidence[-1:],
    )
    event_id = cases.take_formal_actions(
        actors["teamleader"], case_id, more, version(db_url, case_id), uow(), TODAY
    )
    event = row(db_url, StageEvent, event_id)
    assert event.skip_reason == "The contact limits alone have not reduced the load."
    with pytest.raises(PolicyError, match="record the reason for a further action"):
        cases.take_formal_actions(
            actors["teamleader"],
            case_id,
            formal_decision(
                [{"kind": "contact_limits", "terms": "x", "review_due": D(2027, 5, 20)}],
                decided_on=TODAY,
                incident_ids=evidence[-1:],
            ),
            version(db_url, case_id),
            uow(),
            TODAY,
        )


def test_clause_4_1_an_incident_can_support_more_than_one_decision(db_url, uow, actors):
    case_id = a_case(db_url, actors, violence_or_threat=True, police_reference="NP-777")
    cases.record_informal_stage(
        actors["teamleader"], case_id, informal_details(), version(db_url, case_id), uow(), today=TODAY
    )
    with UnitOfWork(db_url) as u:
        (incident,) = u.session.scalars(select(Incident.id).where(Incident.case_id == case_id)).all()
    decision = formal_decision(
        decided_on=D(2026, 9, 10),
        incident_ids=[incident],
        skip_reason="Threatened the officer with a knife: a warning would not protect staff.",
    )
    event_id = cases.take_formal_actions(
        actors["teamleader"], case_id, decision, version(db_url, case_id), uow(), TODAY
    )
    with UnitOfWork(db_url) as u:
        assert [i.id for i in u.session.get(StageEvent, event_id).evidence] == [incident]
        informal = u.session.get(StageEvent, event_of(db_url, case_id, "informal"))
        assert [i.id for i in informal.evidence] == [incident]
    assert D(2026, 9, 10) > INFORMAL_ON


def test_clause_4_1_another_serious_behaviour_may_skip_a_stage_with_a_recorded_reason(db_url, uow, actors):
    case_id = a_case(db_url, actors)  # contact overload: not violence, threats or harassment
    with pytest.raises(PolicyError, match="record why this behaviour is serious enough"):
        cases.issue_warning(
            actors["teamleader"],
            case_id,
            warning_decision(decided_on=D(2026, 9, 5)),
            version(db_url, case_id),
            uow(),
            today=TODAY,
        )
    reason = "Hundreds of emails a day to one officer's personal address: serious enough to warn at once."
    event_id = cases.issue_warning(
        actors["teamleader"],
        case_id,
        warning_decision(decided_on=D(2026, 9, 5), skip_reason=reason),
        version(db_url, case_id),
        uow(),
        today=TODAY,
    )
    event = row(db_url, StageEvent, event_id)
    assert event.skip_reason == reason and event.decided_by_id == actors["teamleader"].user_id
