"""The stage workflow against a real database (SQLite and PostgreSQL): every transition and
guard, reviews, appeals, closure, the clause 2.3 checklist and optimistic locking."""

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select

from core.db import UnitOfWork
from core.enums import ActionStatus, LetterType
from core.errors import PermissionDenied, PolicyError, StaleRecord
from core.models import Appeal, AuditEntry, Case, FormalAction, Letter, ServiceReferral, StageEvent
from core.services import cases
from tests.scenarios import area_id
from tests.services.case_scenarios import (
    INFORMAL_ON,
    TODAY,
    WARNING_ON,
    WARNING_REVIEW,
    a_case,
    a_case_at_formal_stage,
    a_case_at_informal_stage,
    a_case_at_warning_stage,
    another_incident,
    formal_decision,
    informal_details,
    stage,
    version,
    warning_decision,
)

D = dt.date


def events(url, case_id):
    with UnitOfWork(url) as uow:
        return [
            (e.id, e.from_stage.value, e.to_stage.value, sorted(i.id for i in e.evidence), e.skip_reason)
            for e in uow.session.scalars(
                select(StageEvent).where(StageEvent.case_id == case_id).order_by(StageEvent.id)
            )
        ]


def plain(row):
    """A detached copy of a row's columns, readable after its session closes."""
    return SimpleNamespace(**{a.key: getattr(row, a.key) for a in inspect(row).mapper.column_attrs})


def actions(url, case_id):
    with UnitOfWork(url) as uow:
        return [
            plain(a)
            for a in uow.session.scalars(
                select(FormalAction).where(FormalAction.case_id == case_id).order_by(FormalAction.id)
            )
        ]


def event_id(url, case_id, to_stage):
    return [e[0] for e in events(url, case_id) if e[2] == to_stage][-1]


def set_event(url, eid, **values):
    with UnitOfWork(url) as uow:
        event = uow.session.get(StageEvent, eid)
        for k, v in values.items():
            setattr(event, k, v)
        uow.commit()


def send_letter(url, actors, case_id, eid, letter_type=LetterType.WARNING):
    with UnitOfWork(url) as uow:
        case = uow.session.get(Case, case_id)
        uow.session.add(
            Letter(
                case_id=case_id,
                customer_id=case.customer_id,
                letter_type=letter_type,
                subject_type="stage_event",
                subject_id=eid,
                status="sent",
                author_id=actors["teamleader"].user_id,
                sent_on=TODAY,
                content=b"docx",
            )
        )
        uow.commit()


# ---------------------------------------------------------------- informal stage


def test_informal_stage_recorded_with_evidence_and_letter_due(db_url, uow, actors):
    case_id = a_case(db_url, actors)
    before = version(db_url, case_id)
    eid = cases.record_informal_stage(actors["teamleader"], case_id, informal_details(), before, uow(), TODAY)
    assert stage(db_url, case_id) == "informal"
    assert version(db_url, case_id) > before
    (row,) = events(db_url, case_id)
    assert row[1:4] == ("none", "informal", [1])
    with UnitOfWork(db_url) as u:
        event = u.session.get(StageEvent, eid)
        assert event.details["outcome_letter_due"] == "2026-09-11"  # 5 working days after Sat 5 Sep
        assert event.details["contact_made"] and event.details["third_party_offered"]
        actions_logged = {a.action for a in u.session.scalars(select(AuditEntry))}
    assert {"record_informal_stage", "case_stage_changed"} <= actions_logged


def test_informal_stage_names_each_missing_step(db_url, uow, actors):
    case_id = a_case(db_url, actors)
    with pytest.raises(PolicyError) as refusal:
        cases.record_informal_stage(
            actors["teamleader"],
            case_id,
            informal_details(consequences_stated=False, third_party_offered=False),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    assert "what action will follow" in str(refusal.value)
    assert "third party" in str(refusal.value)
    assert stage(db_url, case_id) == "none"


def test_mediation_counts_as_the_third_party_offer(db_url, uow, actors):
    case_id = a_case(db_url, actors)
    cases.record_informal_stage(
        actors["teamleader"],
        case_id,
        informal_details(third_party_offered=False, mediation_offered=True),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert stage(db_url, case_id) == "informal"


def test_hearsay_alone_cannot_ground_the_informal_stage(db_url, uow, actors):
    case_id = a_case(db_url, actors, evidence_source="hearsay")
    with pytest.raises(PolicyError, match="hearsay or opinion cannot be the grounds"):
        cases.record_informal_stage(
            actors["teamleader"], case_id, informal_details(), version(db_url, case_id), uow(), TODAY
        )


def test_root_cause_found_is_referred_to_the_service_area(db_url, uow, actors):
    case_id = a_case(db_url, actors)
    with pytest.raises(PolicyError, match="name the service area"):
        cases.record_informal_stage(
            actors["teamleader"],
            case_id,
            informal_details(root_cause_found=True),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    repairs = area_id(db_url, "Repairs and Maintenance")
    cases.record_informal_stage(
        actors["teamleader"],
        case_id,
        informal_details(
            root_cause_found=True,
            referral_service_area_id=repairs,
            referral_description="Fence repair outstanding for 18 months.",
        ),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with UnitOfWork(db_url) as u:
        (ref,) = u.session.scalars(select(ServiceReferral).where(ServiceReferral.case_id == case_id))
        assert ref.service_area_id == repairs and ref.resolved_at is None
    items = {i.key: i for i in cases.case_checklist(actors["teamleader"], case_id, uow(), TODAY)}
    assert items["problem_resolved"].status == "missing"
    assert "Fence repair" in items["problem_resolved"].missing[0]


# ---------------------------------------------------------------- warning stage


def test_warning_refused_without_informal_stage(db_url, uow, actors):
    case_id = a_case(db_url, actors, behaviours=["contact_overload"], category="unreasonable_demands")
    with pytest.raises(PolicyError, match="Record the informal stage first"):
        cases.issue_warning(
            actors["teamleader"], case_id, warning_decision(), version(db_url, case_id), uow(), TODAY
        )


def test_warning_refused_without_a_later_counting_incident(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 10, 1), evidence_source="hearsay")
    with pytest.raises(PolicyError, match="since the informal stage on 5 September 2026"):
        cases.issue_warning(
            actors["teamleader"], case_id, warning_decision(), version(db_url, case_id), uow(), TODAY
        )
    assert stage(db_url, case_id) == "informal"


def test_warning_refused_until_underlying_issues_recorded(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 10, 1))
    with pytest.raises(PolicyError, match="Equality Act 2010"):
        cases.issue_warning(
            actors["teamleader"],
            case_id,
            warning_decision(underlying_issues_considered=False, underlying_issues_notes=""),
            version(db_url, case_id),
            uow(),
            TODAY,
        )


def test_warning_issued_with_review_date(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    assert stage(db_url, case_id) == "warning"
    with UnitOfWork(db_url) as u:
        assert u.session.get(Case, case_id).warning_review_due == WARNING_REVIEW
    assert events(db_url, case_id)[-1][1:4] == ("informal", "warning", [2])


def test_warning_review_date_must_follow_the_warning(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 10, 1))
    with pytest.raises(PolicyError, match="review date must be after"):
        cases.issue_warning(
            actors["teamleader"],
            case_id,
            warning_decision(review_due=WARNING_ON),
            version(db_url, case_id),
            uow(),
            TODAY,
        )


def test_threats_may_skip_to_warning_only_with_a_reason(db_url, uow, actors):
    case_id = a_case(db_url, actors, violence_or_threat=True, police_reference="NP-12345")
    with pytest.raises(PolicyError, match="Record the reason for skipping the informal stage"):
        cases.issue_warning(
            actors["teamleader"], case_id, warning_decision(), version(db_url, case_id), uow(), TODAY
        )
    cases.issue_warning(
        actors["teamleader"],
        case_id,
        warning_decision(skip_reason="Threat to harm the officer; police referred."),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert events(db_url, case_id)[-1][1:] == (
        "none",
        "warning",
        [1],
        "Threat to harm the officer; police referred.",
    )


# ---------------------------------------------------------------- formal stage


def test_formal_action_refused_without_a_warning(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 10, 1))
    with pytest.raises(PolicyError, match=r"Record the warning stage \(Fair Treatment Letter\) first"):
        cases.take_formal_actions(
            actors["teamleader"], case_id, formal_decision(), version(db_url, case_id), uow(), TODAY
        )


def test_formal_action_refused_without_a_later_incident(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    with pytest.raises(PolicyError, match="since the warning on 5 October 2026"):
        cases.take_formal_actions(
            actors["teamleader"], case_id, formal_decision(), version(db_url, case_id), uow(), TODAY
        )


def test_any_combination_of_formal_actions(db_url, uow, actors):
    combo = [
        {"kind": "contact_limits", "terms": "Tuesdays 10-12 only", "review_due": D(2027, 2, 5)},
        {"kind": "one_channel", "terms": "Email only", "channel": "email", "review_due": D(2027, 5, 5)},
        {"kind": "issue_limit", "terms": "One issue a month", "review_due": D(2027, 11, 5)},
    ]
    case_id = a_case_at_formal_stage(db_url, actors, actions=combo)
    assert stage(db_url, case_id) == "formal"
    rows = actions(db_url, case_id)
    assert [(a.kind.value, a.review_due, a.status) for a in rows] == [
        ("contact_limits", D(2027, 2, 5), ActionStatus.ACTIVE),
        ("one_channel", D(2027, 5, 5), ActionStatus.ACTIVE),
        ("issue_limit", D(2027, 11, 5), ActionStatus.ACTIVE),
    ]
    assert rows[1].details == {"channel": "email"}


def test_formal_review_date_outside_3_to_12_months_refused(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 11, 1))
    bad = [{"kind": "contact_limits", "terms": "Two calls a week", "review_due": D(2026, 12, 5)}]
    with pytest.raises(PolicyError, match="between 3 and 12 months"):
        cases.take_formal_actions(
            actors["teamleader"], case_id, formal_decision(bad), version(db_url, case_id), uow(), TODAY
        )


def test_written_only_restriction_refused_for_customer_who_cannot_write(db_url, uow, actors):
    case_id = a_case_at_warning_stage(
        db_url,
        actors,
        customer={"vulnerabilities": {"learning_difficulties": "Cannot read or write letters unaided"}},
    )
    another_incident(db_url, actors, case_id, D(2026, 11, 1))
    letter_only = {
        "kind": "one_channel",
        "terms": "Letters only",
        "channel": "letter",
        "review_due": D(2027, 5, 5),
    }
    with pytest.raises(PolicyError, match="written-only restriction"):
        cases.take_formal_actions(
            actors["teamleader"],
            case_id,
            formal_decision([letter_only]),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    kept = dict(letter_only, adjustment="Officer phones after each letter to read it through.")
    cases.take_formal_actions(
        actors["teamleader"], case_id, formal_decision([kept]), version(db_url, case_id), uow(), TODAY
    )
    assert actions(db_url, case_id)[0].details["adjustment"].startswith("Officer phones")


def test_violence_skips_straight_to_formal_with_reason(db_url, uow, actors):
    case_id = a_case(
        db_url,
        actors,
        violence_or_threat=True,
        police_reference="NP-99",
        category="aggressive",
        behaviours=["physical_violence"],
    )
    police = [{"kind": "police_referral", "terms": "Referred: NP-99", "review_due": D(2027, 3, 1)}]
    with pytest.raises(PolicyError, match="Record the reason for skipping the informal and warning stages"):
        cases.take_formal_actions(
            actors["teamleader"],
            case_id,
            formal_decision(police, decided_on=D(2026, 9, 2)),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    cases.take_formal_actions(
        actors["teamleader"],
        case_id,
        formal_decision(police, decided_on=D(2026, 9, 2), skip_reason="Officer assaulted."),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert stage(db_url, case_id) == "formal"
    items = {i.key: i for i in cases.case_checklist(actors["teamleader"], case_id, uow(), TODAY)}
    assert items["policy_followed"].status == "pass" and items["warned"].status == "pass"


def test_police_referral_refused_without_violence(db_url, uow, actors):
    case_id = a_case_at_warning_stage(
        db_url, actors, behaviours=["contact_overload"], category="unreasonable_demands"
    )
    another_incident(
        db_url,
        actors,
        case_id,
        D(2026, 11, 1),
        behaviours=["contact_overload"],
        category="unreasonable_demands",
    )
    police = [{"kind": "police_referral", "terms": "x", "review_due": D(2027, 3, 1)}]
    with pytest.raises(PolicyError, match="extreme cases"):
        cases.take_formal_actions(
            actors["teamleader"], case_id, formal_decision(police), version(db_url, case_id), uow(), TODAY
        )


# ---------------------------------------------------------------- reviews


def test_warning_review_with_no_incident_closes_no_further_action(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    cases.record_review(
        actors["teamleader"],
        case_id,
        cases.ReviewDecision("warning", warning, "no_further_action", "No incidents since the warning."),
        version(db_url, case_id),
        uow(),
        D(2027, 1, 6),
    )
    assert stage(db_url, case_id) == "closed"
    with UnitOfWork(db_url) as u:
        case = u.session.get(Case, case_id)
        assert "no further action" in case.closure_reason and case.warning_review_due is None


def test_warning_review_with_an_incident_cannot_be_no_further_action(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    another_incident(db_url, actors, case_id, D(2026, 11, 1))
    warning = event_id(db_url, case_id, "warning")
    with pytest.raises(PolicyError, match="1 further incident"):
        cases.record_review(
            actors["teamleader"],
            case_id,
            cases.ReviewDecision("warning", warning, "no_further_action", "Reviewed."),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    cases.record_review(
        actors["teamleader"],
        case_id,
        cases.ReviewDecision(
            "warning", warning, "continue", "One incident since.", next_review_due=D(2027, 3, 1)
        ),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with UnitOfWork(db_url) as u:
        assert u.session.get(Case, case_id).warning_review_due == D(2027, 3, 1)


def test_restriction_review_continue_vary_and_lift_restores_normal_working(db_url, uow, actors):
    two = [
        {"kind": "contact_limits", "terms": "Two calls a week", "review_due": D(2027, 2, 5)},
        {"kind": "issue_limit", "terms": "One issue a month", "review_due": D(2027, 2, 5)},
    ]
    case_id = a_case_at_formal_stage(db_url, actors, actions=two)
    first, second = (a.id for a in actions(db_url, case_id))
    tl = actors["teamleader"]
    review_day = D(2027, 2, 5)
    with pytest.raises(PolicyError, match="between 3 and 12 months"):
        cases.record_review(
            tl,
            case_id,
            cases.ReviewDecision(
                "formal_action", first, "continue", "Calls still high.", next_review_due=D(2027, 3, 1)
            ),
            version(db_url, case_id),
            uow(),
            review_day,
        )
    cases.record_review(
        tl,
        case_id,
        cases.ReviewDecision(
            "formal_action",
            first,
            "vary",
            "Calls reduced.",
            next_review_due=D(2027, 8, 5),
            new_terms="One call a week",
        ),
        version(db_url, case_id),
        uow(),
        review_day,
    )
    cases.record_review(
        tl,
        case_id,
        cases.ReviewDecision("formal_action", second, "lift", "No issues raised."),
        version(db_url, case_id),
        uow(),
        review_day,
    )
    a1, a2 = actions(db_url, case_id)
    assert (a1.terms, a1.review_due, a1.status) == ("One call a week", D(2027, 8, 5), ActionStatus.ACTIVE)
    assert (a2.status, a2.ended_on) == (ActionStatus.LIFTED, review_day)
    assert stage(db_url, case_id) == "formal"
    cases.record_review(
        tl,
        case_id,
        cases.ReviewDecision("formal_action", first, "lift", "No incidents for six months."),
        version(db_url, case_id),
        uow(),
        D(2027, 8, 5),
    )
    assert stage(db_url, case_id) == "formal"  # issue 13: lifting the last restriction does not close
    cases.close_case(tl, case_id, "All restrictions lifted", version(db_url, case_id), uow(), D(2027, 8, 5))
    assert stage(db_url, case_id) == "closed"


def test_review_refused_when_nothing_to_review(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    with pytest.raises(PolicyError, match="no warning or active restriction"):
        cases.record_review(
            actors["teamleader"],
            case_id,
            cases.ReviewDecision("warning", 1, "continue", "x"),
            version(db_url, case_id),
            uow(),
            TODAY,
        )


# ---------------------------------------------------------------- appeals


def appeal_row(url, appeal_id):
    with UnitOfWork(url) as u:
        return plain(u.session.get(Appeal, appeal_id))


def test_warning_appeal_routed_to_area_ad_and_due_in_5_working_days(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 21),
        "The incident is misdescribed.",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    row = appeal_row(db_url, appeal_id)
    assert row.decision_maker_id == actors["ad.housing"].user_id
    assert row.due_on == D(2026, 10, 28) and row.late is False


def test_spoc_is_never_imposed_as_a_formal_action(db_url, uow, actors):
    # Issue 13 (clause 5): a SPOC is requested from the DMO, not imposed; its appeals (to the AD for
    # Corporate Service and ICT) are against the register entry: tests/services/test_spoc_appeals.py.
    with pytest.raises(PolicyError, match="request it from the Data Management Officer"):
        a_case_at_formal_stage(
            db_url, actors, actions=[{"kind": "spoc", "terms": "Named officer", "review_due": D(2027, 5, 5)}]
        )


def test_late_appeal_flagged_and_needs_a_reason(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    with pytest.raises(PolicyError, match="This appeal is late"):
        cases.record_appeal(
            actors["teamleader"],
            case_id,
            "stage_event",
            warning,
            D(2026, 11, 3),
            "Grounds",
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 11, 3),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
        late_accepted_reason="Customer was in hospital.",
    )
    row = appeal_row(db_url, appeal_id)
    assert row.late and row.late_accepted_reason == "Customer was in hospital."


def test_appeal_window_runs_from_the_letter_being_sent(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    set_event(db_url, warning, notified_on=D(2026, 10, 12))
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 11, 9),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert appeal_row(db_url, appeal_id).late is False


def test_decision_maker_never_the_officer_who_decided(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    set_event(db_url, warning, decided_by_id=actors["ad.housing"].user_id)
    with pytest.raises(PolicyError) as refusal:
        cases.record_appeal(
            actors["teamleader"],
            case_id,
            "stage_event",
            warning,
            D(2026, 10, 20),
            "Grounds",
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    assert "cannot be decided by the officer who took the decision" in str(refusal.value)
    assert "Colin Baptiste" in str(refusal.value) and "Helen Marsh" not in str(refusal.value)
    route = cases.route_for(actors["teamleader"], case_id, "stage_event", warning, uow())
    assert route.conflict and actors["ad.repairs"].user_id in [a.id for a in route.alternatives]
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 20),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
        decision_maker_id=actors["ad.repairs"].user_id,
    )
    assert appeal_row(db_url, appeal_id).decision_maker_id == actors["ad.repairs"].user_id


def test_only_the_assigned_ad_decides(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 20),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    for who in ("ad.repairs", "teamleader"):
        with pytest.raises(PermissionDenied):
            cases.decide_appeal(
                actors[who],
                appeal_id,
                cases.AppealDecision("upheld", "Stands."),
                version(db_url, case_id),
                uow(),
                TODAY,
            )
    assert [a.appeal_id for a in cases.appeals_for_decision_maker(actors["ad.housing"], uow(), TODAY)] == [
        appeal_id
    ]
    assert cases.appeals_for_decision_maker(actors["ad.repairs"], uow(), TODAY) == []
    result = cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision("upheld", "The warning stands."),
        version(db_url, case_id),
        uow(),
        D(2026, 10, 22),
    )
    assert result.case_stage == "warning" and not result.late_decision
    with pytest.raises(PolicyError, match="already been decided"):
        cases.decide_appeal(
            actors["ad.housing"],
            appeal_id,
            cases.AppealDecision("upheld", "x"),
            version(db_url, case_id),
            uow(),
            TODAY,
        )


def test_varied_appeal_changes_the_restriction(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    (action,) = actions(db_url, case_id)
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "formal_action",
        action.id,
        D(2026, 11, 10),
        "Too strict",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with pytest.raises(PolicyError, match="Say how the decision is varied"):
        cases.decide_appeal(
            actors["ad.housing"],
            appeal_id,
            cases.AppealDecision("varied", "Varied."),
            version(db_url, case_id),
            uow(),
            TODAY,
        )
    cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision("varied", "Three calls is proportionate.", varied_terms="Three calls a week"),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert actions(db_url, case_id)[0].terms == "Three calls a week"


def test_overturned_formal_action_ends_it_and_case_returns_to_warning(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    (action,) = actions(db_url, case_id)
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "formal_action",
        action.id,
        D(2026, 11, 10),
        "Not proportionate",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision("overturned", "Not proportionate."),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    (action,) = actions(db_url, case_id)
    assert action.status == ActionStatus.OVERTURNED
    assert stage(db_url, case_id) == "warning"
    with UnitOfWork(db_url) as u:
        assert u.session.get(Case, case_id).warning_review_due == WARNING_REVIEW


def test_overturned_warning_returns_the_case_to_informal(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 20),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    cases.decide_appeal(
        actors["ad.housing"],
        appeal_id,
        cases.AppealDecision("overturned", "Evidence was hearsay in substance."),
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert stage(db_url, case_id) == "informal"
    nxt = cases.allowed_actions(actors["teamleader"], case_id, uow(), TODAY)
    assert "warning" in [a.action for a in nxt.allowed]


def test_second_appeal_on_same_decision_waits(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 20),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with pytest.raises(PolicyError, match="already waiting"):
        cases.record_appeal(
            actors["teamleader"],
            case_id,
            "stage_event",
            warning,
            D(2026, 10, 21),
            "Again",
            version(db_url, case_id),
            uow(),
            TODAY,
        )


# ---------------------------------------------------------------- closure


def test_close_refused_while_a_restriction_is_active(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    with pytest.raises(PolicyError, match="Still open on this case: active restriction"):
        cases.close_case(
            actors["teamleader"], case_id, "Relations restored", version(db_url, case_id), uow(), TODAY
        )


def test_close_case_restores_normal_relations(db_url, uow, actors):
    case_id = a_case_at_informal_stage(db_url, actors)
    with pytest.raises(PolicyError, match="required"):
        cases.close_case(actors["teamleader"], case_id, " ", version(db_url, case_id), uow(), TODAY)
    cases.close_case(
        actors["teamleader"],
        case_id,
        "Fence repaired; no incidents since.",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    assert stage(db_url, case_id) == "closed"
    nxt = cases.allowed_actions(actors["teamleader"], case_id, uow(), TODAY)
    assert [a.action for a in nxt.allowed] == ["appeal"]  # the 28-day appeal window still runs


# ---------------------------------------------------------------- optimistic locking and permissions


def test_stale_version_refused_for_every_case_change(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    stale = version(db_url, case_id) - 1
    tl = actors["teamleader"]
    warning = event_id(db_url, case_id, "warning")
    another_incident(db_url, actors, case_id, D(2026, 11, 1))
    calls = [
        lambda: cases.record_informal_stage(tl, case_id, informal_details(), stale, uow(), TODAY),
        lambda: cases.issue_warning(tl, case_id, warning_decision(), stale, uow(), TODAY),
        lambda: cases.take_formal_actions(tl, case_id, formal_decision(), stale, uow(), TODAY),
        lambda: cases.record_review(
            tl,
            case_id,
            cases.ReviewDecision("warning", warning, "continue", "x", next_review_due=D(2027, 3, 1)),
            stale,
            uow(),
            TODAY,
        ),
        lambda: cases.record_appeal(
            tl, case_id, "stage_event", warning, D(2026, 10, 20), "g", stale, uow(), TODAY
        ),
        lambda: cases.close_case(tl, case_id, "r", stale, uow(), TODAY),
    ]
    for call in calls:
        with pytest.raises(StaleRecord, match="changed since you opened it"):
            call()
    assert stage(db_url, case_id) == "warning"


def test_second_user_with_the_same_version_is_refused(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    seen = version(db_url, case_id)
    another_incident(db_url, actors, case_id, D(2026, 11, 1))
    cases.take_formal_actions(actors["teamleader"], case_id, formal_decision(), seen, uow(), TODAY)
    with pytest.raises(StaleRecord):
        cases.close_case(actors["teamleader2"], case_id, "Resolved", seen, uow(), TODAY)


def test_concurrent_save_fails_at_commit(db_url, uow, actors):
    """Both users pass the version check; the second commit is refused by the version column."""
    case_id = a_case_at_informal_stage(db_url, actors)
    seen = version(db_url, case_id)
    first, second = UnitOfWork(db_url), UnitOfWork(db_url)
    with first, second:
        a = first.session.get(Case, case_id)
        b = second.session.get(Case, case_id)
        assert a.version == b.version == seen
        a.closure_reason = "first"
        first.commit()
        b.closure_reason = "second"
        with pytest.raises(StaleRecord):
            second.commit()


def test_roles_that_may_not_run_cases_are_refused(db_url, uow, actors):
    case_id = a_case(db_url, actors)
    for who in ("dmo", "contractor", "ad.housing"):
        with pytest.raises(PermissionDenied):
            cases.record_informal_stage(
                actors[who], case_id, informal_details(), version(db_url, case_id), uow(), TODAY
            )
    with pytest.raises(PermissionDenied):
        cases.decide_appeal(actors["teamleader"], 1, cases.AppealDecision("upheld", "x"), 1, uow(), TODAY)


# ---------------------------------------------------------------- checklist and compliance


def test_checklist_appeal_offered_once_decision_letters_are_sent(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    items = {i.key: i for i in cases.case_checklist(actors["teamleader"], case_id, uow(), TODAY)}
    assert items["appeal_offered"].status == "missing" and len(items["appeal_offered"].missing) == 2
    send_letter(db_url, actors, case_id, event_id(db_url, case_id, "informal"), LetterType.INFORMAL_SUMMARY)
    send_letter(db_url, actors, case_id, event_id(db_url, case_id, "warning"))
    items = {i.key: i for i in cases.case_checklist(actors["teamleader"], case_id, uow(), TODAY)}
    assert all(i.status == "pass" for i in items.values()), items


def test_compliance_overview_lists_overdue_reviews_and_filters_by_area(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    later = D(2027, 6, 1)
    rows = cases.compliance_overview(actors["teamleader"], uow(), later).rows
    (row,) = [r for r in rows if r.case_id == case_id]
    assert "Changes reviewed within the set period" in row.failing
    assert (
        cases.Overdue(
            what="Review: Contact limited to certain times or a number of contacts",
            due=D(2027, 5, 5),
            days_overdue=27,
        )
        in row.overdue
    )
    housing = area_id(db_url)
    assert [
        r.case_id for r in cases.compliance_overview(actors["teamleader"], uow(), later, housing).rows
    ] == [case_id]
    repairs = area_id(db_url, "Repairs and Maintenance")
    assert cases.compliance_overview(actors["teamleader"], uow(), later, repairs).rows == []


def test_overdue_appeal_decision_shown(db_url, uow, actors):
    case_id = a_case_at_warning_stage(db_url, actors)
    warning = event_id(db_url, case_id, "warning")
    cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        D(2026, 10, 20),
        "Grounds",
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    (row,) = cases.compliance_overview(actors["teamleader"], uow(), TODAY).rows
    assert cases.Overdue(what="Appeal decision", due=D(2026, 10, 27), days_overdue=24) in row.overdue
    (assigned,) = cases.appeals_for_decision_maker(actors["ad.housing"], uow(), TODAY)
    assert assigned.overdue


def test_case_overview_links_counting_incidents_to_the_restriction(db_url, uow, actors):
    case_id = a_case_at_formal_stage(db_url, actors)
    new = another_incident(db_url, actors, case_id, D(2026, 11, 15))
    another_incident(db_url, actors, case_id, D(2026, 11, 16), evidence_source="hearsay")
    view = cases.case_overview(actors["teamleader"], case_id, uow(), TODAY)
    assert list(view.actions[0].incidents_during) == [new]
    assert view.stage == "formal" and view.version == version(db_url, case_id)
    assert [a.action for a in view.next.allowed] == [
        "formal",
        "review",
        "appeal",
        "close",
    ]  # close: with a reason


# ---------------------------------------------------------------- compliance at volume (issue 18)


def test_compliance_returns_one_page_with_the_total_and_a_cursor(db_url, uow, actors):
    ids = [a_case_at_informal_stage(db_url, actors, ref=f"NPH9100{n:02d}") for n in range(5)]
    tl = actors["teamleader"]
    first = cases.compliance_overview(tl, uow(), TODAY, limit=3)
    assert len(first.rows) == 3 and first.total == 5
    assert sorted(r.case_id for r in first.rows) == ids[:3] and first.next_after == ids[2]
    second = cases.compliance_overview(tl, uow(), TODAY, limit=3, after=first.next_after)
    assert sorted(r.case_id for r in second.rows) == ids[3:] and second.next_after is None
    assert all("The customer was offered an appeal against each decision" in r.failing for r in first.rows)


def test_compliance_passes_over_cases_needing_nothing_without_counting_them_as_rows(db_url, uow, actors):
    quiet = [a_case(db_url, actors, ref=f"NPH9200{n:02d}") for n in range(4)]  # no decision yet: nothing due
    needing = a_case_at_informal_stage(db_url, actors, ref="NPH920099")
    page = cases.compliance_overview(actors["teamleader"], uow(), TODAY, limit=2)
    assert [r.case_id for r in page.rows] == [needing] and page.total == len(quiet) + 1


# One statement per table (generate_series), so the set-up takes seconds, not the test's budget.
BULK_OPEN_CASES = (
    """INSERT INTO customer (id, housing_ref, title, first_name, last_name, address_line1, address_line2, town,
       postcode, phone, email, preferred_contact, search_text, legal_hold, legal_hold_reason, created_at)
       SELECT :base + i, 'BULK' || i, '', 'Bulk', 'Case' || i, '', '', '', '', '', '', 'phone', '', false, '', now()
       FROM generate_series(1, :n) AS i""",
    """INSERT INTO case_file (id, customer_id, service_area_id, stage, opened_at, opened_by_id, closure_reason, version)
       SELECT :base + i, :base + i, :area, 'informal', now(), :leader, '', 1 FROM generate_series(1, :n) AS i""",
    """INSERT INTO stage_event (case_id, from_stage, to_stage, decided_on, decided_by_id, reason, skip_reason,
       underlying_issues_considered, underlying_issues_notes, adjustments, details, recorded_at)
       SELECT :base + i, 'none', 'informal', :on, :leader, 'Spoke to the customer.', '', false, '', '', '{}', now()
       FROM generate_series(1, :n) AS i""",
)


def test_compliance_page_over_65535_open_cases_on_postgresql(db_url, uow, actors):
    """psycopg refuses more than 65,535 bound parameters: the compliance list must not bind one
    per case or per decision (it used `IN (...)` lists built from other queries' rows)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the parameter limit is PostgreSQL's")
    from sqlalchemy import func, text

    n = 66_000
    area, leader = area_id(db_url), actors["teamleader"].user_id
    with UnitOfWork(db_url) as u:
        base = max(u.session.scalar(select(func.max(Case.id))) or 0, 1_000_000)
        values = {"base": base, "n": n, "area": area, "leader": leader, "on": INFORMAL_ON}
        for statement in BULK_OPEN_CASES:
            u.session.execute(text(statement), values)
        u.commit()
    page = cases.compliance_overview(actors["teamleader"], uow(), TODAY)
    assert page.total == n and len(page.rows) == 50 and page.next_after is not None
    following = cases.compliance_overview(actors["teamleader"], uow(), TODAY, area, after=page.next_after)
    assert len(following.rows) == 50 and min(r.case_id for r in following.rows) > page.next_after


def test_one_service_area_list_behind_cases_monitoring_and_reference_data(db_url, uow, actors):
    from core.services import monitoring, users

    rows = cases.service_areas(actors["teamleader"], uow())
    assert rows == monitoring.service_areas(actors["teamleader"], uow()) == users.list_service_areas(uow())
    assert [r.name for r in rows] == sorted(r.name for r in rows) and "Repairs and Maintenance" in [
        r.name for r in rows
    ]
    with pytest.raises(PermissionDenied):
        monitoring.service_areas(actors["contractor"], uow())
