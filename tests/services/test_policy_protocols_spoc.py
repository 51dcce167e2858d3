"""Issue 13, items 1, 8 and 9, on SQLite and PostgreSQL: a SPOC exists only through the SPOC
protocol (clause 5); the policy's remedies are all recordable (clause 5); loose ends block closure,
closing restores normal arrangements in writing, and a later case shows the earlier ones (clause 2.2)."""

import datetime as dt
import importlib

import pytest
from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import ActionStatus, FormalActionType, LetterType, RegisterStatus
from core.errors import PolicyError
from core.models import FormalAction, Letter, SpocEntry, SpocRequest, StageEvent
from core.policy.deadlines import add_months
from core.services import arrangements, cases, letters, monitoring, registers
from core.services.timeline import get_timeline
from tests.scenarios import area_id
from tests.services.case_scenarios import (
    TODAY,
    a_case,
    a_case_at_formal_stage,
    a_case_at_informal_stage,
    a_case_at_warning_stage,
    another_incident,
    case_of,
    formal_decision,
    informal_details,
    stage,
    version,
    warning_decision,
)

D = dt.date
SERIOUS = dict(
    category="aggressive",
    behaviours=["harassment"],
    description="The customer waited outside the officer's home three evenings running.",
)


def contractor_view(actors, uow, case_id):
    with uow() as u:
        from core.models import Case

        customer_id = u.session.get(Case, case_id).customer_id
    return arrangements.arrangements_for(actors["contractor"], customer_id, uow(), today=TODAY)


def a_spoc_requested_as_the_formal_decision(db_url, actors, uow):
    """A warning-stage case, a further incident, and a formal decision that is only a SPOC request."""
    case_id = a_case_at_warning_stage(db_url, actors)
    later = another_incident(db_url, actors, case_id, D(2026, 11, 1))
    decision = formal_decision(
        actions=[], spoc_request=cases.SpocRequestPlan("Contact with five teams a day.", [later])
    )
    decision.actions = []
    cases.take_formal_actions(actors["teamleader"], case_id, decision, version(db_url, case_id), uow(), TODAY)
    with uow() as u:
        request_id = u.session.scalar(select(SpocRequest.id).where(SpocRequest.case_id == case_id))
    return case_id, request_id


def dmo_decides(actors, uow, request_id, approve=True):
    terms = (
        dict(
            spoc_user_id=actors["teamleader"].user_id,
            channels=["email", "phone"],
            contact_times="Tuesdays 10:00-12:00",
            contact_limit="One call a week",
            terms="Emergency repairs by the usual line.",
            starts_on=TODAY,
            review_due=add_months(TODAY, 6),
        )
        if approve
        else {}
    )
    return registers.record_spoc_meeting_and_decide(
        actors["dmo"],
        request_id,
        registers.SpocMeeting(
            TODAY,
            "DMO; team leader; housing officer",
            "Reviewed the contact log.",
            approve,
            "Contact across teams continued after the warning.",
            **terms,
        ),
        uow(),
        today=TODAY,
    )


# ------------------------------------------------------------ item 1: clause 5, the SPOC protocol


def test_clause_5_spoc_request_can_be_the_formal_decision_and_is_not_in_force_until_approved(
    db_url, actors, uow
):
    case_id, request_id = a_spoc_requested_as_the_formal_decision(db_url, actors, uow)
    assert stage(db_url, case_id) == "formal" and request_id is not None
    with uow() as u:
        assert u.session.get(SpocRequest, request_id).status == RegisterStatus.PENDING
        assert u.session.scalars(select(FormalAction).where(FormalAction.case_id == case_id)).all() == []
    before = contractor_view(actors, uow, case_id)
    assert not before.single_point_of_contact and not before.restrictions and not before.in_force

    decision = dmo_decides(actors, uow, request_id)
    after = contractor_view(actors, uow, case_id)
    assert [s.contact for s in after.single_point_of_contact] == [actors["teamleader"].name]
    assert decision.entry_id is not None


def test_clause_5_a_rejected_spoc_request_leaves_no_spoc_anywhere(db_url, actors, uow):
    case_id, request_id = a_spoc_requested_as_the_formal_decision(db_url, actors, uow)
    dmo_decides(actors, uow, request_id, approve=False)
    with uow() as u:
        assert u.session.scalars(select(SpocEntry)).all() == []
        assert (
            u.session.scalars(select(FormalAction).where(FormalAction.kind == FormalActionType.SPOC)).all()
            == []
        )
    view = contractor_view(actors, uow, case_id)
    assert not view.single_point_of_contact and not view.in_force


def test_clause_5_a_spoc_cannot_be_imposed_as_an_ordinary_formal_action(db_url, actors, uow):
    with pytest.raises(PolicyError, match="request it from the Data Management Officer"):
        a_case_at_formal_stage(
            db_url,
            actors,
            actions=[{"kind": "spoc", "terms": "Named officer: Priya Shah", "review_due": D(2027, 5, 5)}],
        )


def test_clause_5_the_customer_gets_a_spoc_letter_with_the_ict_appeal_route_and_the_ombudsman(
    db_url, actors, uow
):
    case_id, request_id = a_spoc_requested_as_the_formal_decision(db_url, actors, uow)
    with pytest.raises(PolicyError, match="no SPOC on the register"):
        letters.draft_letter(actors["teamleader"], case_id, "spoc", None, None, uow(), today=TODAY)
    entry_id = dmo_decides(actors, uow, request_id).entry_id
    draft = letters.draft_letter(actors["teamleader"], case_id, "spoc", entry_id, None, uow(), today=TODAY)
    text = " ".join(draft.preview.split())
    assert actors["teamleader"].name in text
    assert "Email and Telephone" in text and "Tuesdays 10:00-12:00" in text and "One call a week" in text
    assert "Assistant Director for Corporate Service and ICT" in text and "Housing Ombudsman" in text
    assert add_months(TODAY, 6).strftime("%B %Y") in text


def test_clause_5_migration_0007_moves_spoc_formal_actions_to_the_dmo(db_url, actors, uow):
    """A SPOC imposed as a formal action before issue 13 is ended (no contractor sees it) and flagged
    for the DMO as a pending request carrying the decision's evidence."""
    case_id = a_case_at_formal_stage(db_url, actors)
    with uow() as u:
        action = u.session.scalars(select(FormalAction).where(FormalAction.case_id == case_id)).one()
        legacy = FormalAction(
            case_id=case_id,
            stage_event_id=action.stage_event_id,
            kind=FormalActionType.SPOC,
            terms="Named officer: Priya Shah",
            starts_on=action.starts_on,
            review_due=action.review_due,
            status=ActionStatus.ACTIVE,
        )
        u.session.add(legacy)
        u.commit()
        legacy_id = legacy.id
        evidence = {i.id for i in u.session.get(StageEvent, action.stage_event_id).evidence}
    migration = importlib.import_module("db.migrations.versions.0007_spoc_protocol_remedies")
    with UnitOfWork(db_url) as u:
        migration._move_spoc_actions_to_the_protocol(u.session.connection())
        u.commit()
    with uow() as u:
        moved = u.session.get(FormalAction, legacy_id)
        request = u.session.scalars(select(SpocRequest).where(SpocRequest.case_id == case_id)).one()
        assert moved.status == ActionStatus.ENDED and f"request #{request.id}" in moved.ended_reason
        assert request.status == RegisterStatus.PENDING and "Priya Shah" in request.reason
        assert {i.id for i in request.evidence} == evidence
        request_id = request.id
    assert [r.request_id for r in registers.spoc_requests(actors["dmo"], uow()).rows] == [request_id]
    assert not contractor_view(actors, uow, case_id).single_point_of_contact


# ------------------------------------------------------------ item 8: clause 5, the remedies


def test_clause_5_harassment_is_a_behaviour_that_justifies_skipping_a_stage(db_url, actors, uow):
    case_id = a_case(db_url, actors, **SERIOUS)
    with pytest.raises(PolicyError, match="reason for skipping"):
        cases.issue_warning(
            actors["teamleader"], case_id, warning_decision(), version(db_url, case_id), uow(), TODAY
        )
    cases.issue_warning(
        actors["teamleader"],
        case_id,
        warning_decision(skip_reason="Harassment of an officer."),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert stage(db_url, case_id) == "warning"


def test_clause_5_legal_remedies_housing_register_and_police_are_recorded_with_court_dates(
    db_url, actors, uow
):
    case_id = a_case_at_warning_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 11, 1), **SERIOUS)
    review = D(2027, 5, 5)
    remedies = [
        {
            "kind": "injunction",
            "terms": "Not to come within 100 m of the area office",
            "review_due": review,
            "court_reference": "K00NN123",
            "proceedings_issued_on": D(2026, 11, 2),
            "hearing_on": D(2026, 11, 4),
            "order_on": D(2026, 11, 4),
        },
        {
            "kind": "possession",
            "terms": "Possession claim, ground 14",
            "review_due": review,
            "proceedings_issued_on": D(2026, 11, 3),
        },
        {
            "kind": "housing_register_removal",
            "terms": "Entitlement to join the Housing Register removed",
            "review_due": review,
        },
        {"kind": "police_referral", "terms": "Crime ref NP-2026-1", "review_due": review},
    ]
    with pytest.raises(PolicyError, match="date proceedings were issued"):
        cases.take_formal_actions(
            actors["teamleader"],
            case_id,
            formal_decision([{"kind": "demotion", "terms": "Demotion claim", "review_due": review}]),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    cases.take_formal_actions(
        actors["teamleader"], case_id, formal_decision(remedies), version(db_url, case_id), uow(), TODAY
    )
    with uow() as u:
        rows = {
            a.kind: (a.court_reference, a.proceedings_issued_on, a.hearing_on, a.order_on)
            for a in u.session.scalars(select(FormalAction).where(FormalAction.case_id == case_id))
        }
    assert rows[FormalActionType.INJUNCTION] == ("K00NN123", D(2026, 11, 2), D(2026, 11, 4), D(2026, 11, 4))
    assert rows[FormalActionType.POSSESSION] == ("", D(2026, 11, 3), None, None)
    assert FormalActionType.HOUSING_REGISTER_REMOVAL in rows
    # contractors are told how to work with the customer, never of the remedies taken against them
    assert contractor_view(actors, uow, case_id).restrictions == ()
    with uow() as u:
        from core.models import Case

        customer_id = u.session.get(Case, case_id).customer_id
    timeline = repr(get_timeline(actors["teamleader"], customer_id, uow()))
    assert "Legal action: injunction" in timeline and "Court K00NN123: issued" in timeline
    assert "Removal of entitlement to join the Housing Register" in timeline
    figures = monitoring.governance_figures(
        actors["teamleader"], monitoring.Filters(D(2026, 11, 1), TODAY), uow(), TODAY
    )
    taken = {r["remedy"]: r["taken"] for r in figures["remedies_taken"]}
    assert taken == {
        "Legal action: injunction": 1,
        "Legal action: possession proceedings": 1,
        "Removal of entitlement to join the Housing Register": 1,
        "Police referral": 1,
    }


# ------------------------------------------------------------ item 9: clause 2.2, loose ends and closure


def test_clause_2_2_an_open_referral_blocks_closure_unless_the_officer_records_why(db_url, actors, uow):
    case_id = a_case(db_url, actors)
    repairs = area_id(db_url, "Repairs and Maintenance")
    cases.record_informal_stage(
        actors["teamleader"],
        case_id,
        informal_details(
            root_cause_found=True,
            referral_service_area_id=repairs,
            referral_description="Fence repair outstanding.",
        ),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with pytest.raises(PolicyError, match="an open service referral"):
        cases.close_case(
            actors["teamleader"], case_id, "Behaviour stopped.", version(db_url, case_id), uow(), TODAY
        )
    closure = cases.Closure(
        "Behaviour stopped.", loose_end_reason="Repairs will finish the fence; no behaviour."
    )
    event_id = cases.close_case(
        actors["teamleader"], case_id, closure, version(db_url, case_id), uow(), TODAY
    )
    with uow() as u:
        details = u.session.get(StageEvent, event_id).details
    assert details["loose_ends"] == ["an open service referral"]
    assert details["loose_end_reason"] == "Repairs will finish the fence; no behaviour."


def test_clause_2_2_a_pending_spoc_request_blocks_closure(db_url, actors, uow):
    case_id, _ = a_spoc_requested_as_the_formal_decision(db_url, actors, uow)
    with pytest.raises(PolicyError, match="SPOC request awaiting the Data Management Officer"):
        cases.close_case(actors["teamleader"], case_id, "Done.", version(db_url, case_id), uow(), TODAY)


def test_clause_2_2_lifting_the_last_restriction_does_not_silently_close_the_case(db_url, actors, uow):
    case_id = a_case_at_formal_stage(db_url, actors)
    with uow() as u:
        action_id = u.session.scalar(select(FormalAction.id).where(FormalAction.case_id == case_id))
    cases.record_review(
        actors["teamleader"],
        case_id,
        cases.ReviewDecision("formal_action", action_id, "lift", "No incidents since."),
        version(db_url, case_id),
        uow(),
        D(2027, 5, 5),
    )
    assert stage(db_url, case_id) == "formal"


def test_clause_2_2_closing_sends_the_closure_letter_or_records_why_not(db_url, actors, uow):
    case_id = a_case_at_informal_stage(db_url, actors)
    with pytest.raises(PolicyError, match="why no closure letter"):
        cases.close_case(
            actors["teamleader"],
            case_id,
            cases.Closure("Resolved.", send_letter=False),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    event_id = cases.close_case(
        actors["teamleader"], case_id, "Resolved.", version(db_url, case_id), uow(), TODAY
    )
    with uow() as u:
        letter = u.session.scalars(select(Letter).where(Letter.case_id == case_id)).one()
        assert (letter.letter_type, letter.subject_id, letter.sent_on) == (
            LetterType.CLOSURE,
            event_id,
            TODAY,
        )
    draft = letters.draft_letter(actors["teamleader"], case_id, "closure", event_id, None, uow(), today=TODAY)
    text = " ".join(draft.preview.split())
    assert "we will deal with you in the normal way" in text and "Housing Ombudsman" in text

    other = a_case_at_informal_stage(db_url, actors, ref="NPH900002")
    closing = cases.Closure(
        "Resolved.", send_letter=False, no_letter_reason="Customer has moved away; no address."
    )
    other_event = cases.close_case(actors["teamleader"], other, closing, version(db_url, other), uow(), TODAY)
    with uow() as u:
        assert (
            u.session.get(StageEvent, other_event)
            .details["no_letter_reason"]
            .startswith("Customer has moved")
        )
        assert u.session.scalars(select(Letter).where(Letter.case_id == other)).all() == []


def test_clause_2_2_a_new_case_after_closure_shows_the_earlier_cases_and_may_start_where_history_justifies(
    db_url, actors, uow
):
    first = a_case_at_warning_stage(db_url, actors)
    cases.close_case(actors["teamleader"], first, "Warning respected.", version(db_url, first), uow(), TODAY)
    second = case_of(db_url, another_incident(db_url, actors, first, TODAY))
    assert second != first
    view = cases.case_overview(actors["teamleader"], second, uow(), TODAY)
    (earlier,) = view.earlier_cases
    assert earlier.case_id == first and earlier.closed_on is not None
    assert [s.split(" (")[0] for s in earlier.stages] == ["Informal stage", "Warning stage"]

    with pytest.raises(PolicyError, match="Record the informal stage first"):
        cases.issue_warning(
            actors["teamleader"],
            second,
            warning_decision(decided_on=TODAY),
            version(db_url, second),
            uow(),
            TODAY,
        )
    event_id = cases.issue_warning(
        actors["teamleader"],
        second,
        warning_decision(
            decided_on=TODAY, history_reason="Same behaviour as the case closed in November after a warning."
        ),
        version(db_url, second),
        uow(),
        TODAY,
    )
    with uow() as u:
        assert "earlier cases" in u.session.get(StageEvent, event_id).skip_reason
    assert stage(db_url, second) == "warning"


def test_clause_4_2_the_formal_letter_of_a_spoc_request_says_it_is_not_in_force_and_names_the_ict_ad(
    db_url, actors, uow
):
    case_id, _ = a_spoc_requested_as_the_formal_decision(db_url, actors, uow)
    draft = letters.draft_letter(actors["teamleader"], case_id, "formal", None, None, uow(), today=TODAY)
    text = " ".join(draft.preview.split())
    assert (
        "asked our Data Management Officer to consider providing you with a single point of contact" in text
    )
    assert "Assistant Director for Corporate Service and ICT" in text
