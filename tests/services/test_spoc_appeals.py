"""Clause 4.2: "Appeals for SPOC will be considered by the Assistant Director for Corporate Service
and ICT". Appeals against a SPOC approved onto the register by the Data Management Officer
(subject "spoc_entry"), on SQLite and PostgreSQL: routing, the 28-day window from the SPOC's
start, the conflict rule, the three outcomes and their effect on the register entry."""

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect, select

from core.db import UnitOfWork
from core.enums import RegisterStatus, Role
from core.errors import PermissionDenied, PolicyError, StaleRecord
from core.models import Appeal, AuditEntry, Incident, SpocEntry
from core.policy.deadlines import add_months
from core.services import cases, registers, timeline
from tests.scenarios import NOW
from tests.services.case_scenarios import TODAY, a_case_at_formal_stage, version

D = dt.date
GROUNDS = "I need to speak to the repairs team directly about the damp."


def plain(row):
    return SimpleNamespace(**{a.key: getattr(row, a.key) for a in inspect(row).mapper.column_attrs})


def entry_row(url, entry_id):
    with UnitOfWork(url) as u:
        return plain(u.session.get(SpocEntry, entry_id))


def appeal_row(url, appeal_id):
    with UnitOfWork(url) as u:
        return plain(u.session.get(Appeal, appeal_id))


def a_case_with_a_spoc(url, actors, dmo=None, starts_on=TODAY, ref="NPH900001"):
    """A formal-stage case (formal action 5 Nov 2026) whose SPOC the DMO approved at a meeting on
    20 Nov 2026, starting `starts_on`, reviewed six months later. Returns (case id, entry id)."""
    case_id = a_case_at_formal_stage(url, actors, ref=ref)
    with UnitOfWork(url) as u:
        evidence = [
            i.id
            for i in u.session.scalars(select(Incident).where(Incident.case_id == case_id))
            if i.counts_as_evidence
        ]
    request_id = registers.request_spoc(
        actors["teamleader"], case_id, "Contact with five teams a day.", evidence, UnitOfWork(url), now=NOW
    )
    result = registers.record_spoc_meeting_and_decide(
        dmo or actors["dmo"],
        request_id,
        registers.SpocMeeting(
            TODAY,
            "DMO; team leader; housing officer",
            "Reviewed the incident log and the Fair Treatment Letter.",
            True,
            "Repeated contact across teams despite the warning.",
            spoc_user_id=actors["teamleader"].user_id,
            channels=["email"],
            contact_times="Mon-Fri 10:00-12:00",
            contact_limit="Two contacts a week",
            terms="All contact through the named officer by email.",
            starts_on=starts_on,
            review_due=add_months(starts_on, 6),
        ),
        UnitOfWork(url),
        today=max(TODAY, starts_on),
    )
    return case_id, result.entry_id


NOV_25, NOV_27 = D(2026, 11, 25), D(2026, 11, 27)


def appeal(url, uow, actors, case_id, entry_id, received=NOV_25, today=NOV_25, **kw):
    return cases.record_appeal(
        actors["teamleader"],
        case_id,
        "spoc_entry",
        entry_id,
        received,
        GROUNDS,
        version(url, case_id),
        uow(),
        today,
        **kw,
    )


def decide(url, uow, actors, appeal_id, case_id, outcome, today=NOV_27, **kw):
    return cases.decide_appeal(
        actors["ad.ict"],
        appeal_id,
        cases.AppealDecision(outcome, "Considered the grounds and the register.", **kw),
        version(url, case_id),
        uow(),
        today,
    )


# ---------------------------------------------------------------- recording and routing


def test_spoc_entry_appeal_routed_to_the_ad_for_corporate_service_and_ict(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    route = cases.route_for(actors["teamleader"], case_id, "spoc_entry", entry_id, uow())
    assert route.decision_maker_id == actors["ad.ict"].user_id
    assert "Corporate Service and ICT" in route.rule and route.conflict is False
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    row = appeal_row(db_url, appeal_id)
    assert (row.subject_type, row.subject_id) == ("spoc_entry", entry_id)
    assert row.decision_maker_id == actors["ad.ict"].user_id  # not the case's area AD (ad.housing)
    assert row.late is False and row.due_on == D(2026, 12, 2)  # 5 working days after Wed 25 Nov
    (assigned,) = cases.appeals_for_decision_maker(actors["ad.ict"], uow(), D(2026, 11, 25))
    assert assigned.appeal_id == appeal_id and assigned.subject_type == "spoc_entry"
    assert assigned.subject.startswith("Single point of contact (SPOC) from 20 November 2026")
    assert cases.appeals_for_decision_maker(actors["ad.housing"], uow(), D(2026, 11, 25)) == []
    with UnitOfWork(db_url) as u:
        audit = u.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "record_appeal", AuditEntry.entity_id == appeal_id)
        )
        assert "Corporate Service and ICT" in audit.reason


def test_case_overview_offers_the_active_spoc_for_appeal(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    view = cases.case_overview(actors["teamleader"], case_id, uow(), TODAY)
    assert [(e.id, e.appeal_by) for e in view.spoc_entries] == [(entry_id, D(2026, 12, 18))]
    assert "appeal" in [a.action for a in view.next.allowed]


def test_spoc_entry_on_another_case_or_unknown_is_refused(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    other_case, _ = a_case_with_a_spoc(db_url, actors, ref="NPH900002")
    for case, subject in ((other_case, entry_id), (case_id, entry_id + 999)):
        with pytest.raises(PolicyError, match="Choose a SPOC on this case"):
            appeal(db_url, uow, actors, case, subject)


def test_appeal_before_the_spoc_decision_refused(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    with pytest.raises(PolicyError, match="before the decision was made"):
        appeal(db_url, uow, actors, case_id, entry_id, received=D(2026, 11, 19))


def test_late_spoc_appeal_flagged_and_needs_a_reason(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)  # starts 20 Nov: window closes 18 Dec
    with pytest.raises(
        PolicyError,
        match="This appeal is late: .*told of the decision on 20 November 2026, so the "
        "28 days to appeal ended on 18 December 2026.* 1 day",
    ):
        appeal(db_url, uow, actors, case_id, entry_id, received=D(2026, 12, 19), today=D(2026, 12, 21))
    appeal_id = appeal(
        db_url,
        uow,
        actors,
        case_id,
        entry_id,
        received=D(2026, 12, 19),
        today=D(2026, 12, 21),
        late_accepted_reason="The customer was in hospital.",
    )
    row = appeal_row(db_url, appeal_id)
    assert row.late is True and row.late_accepted_reason == "The customer was in hospital."


def test_on_the_last_day_of_the_window_is_not_late(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(
        db_url, uow, actors, case_id, entry_id, received=D(2026, 12, 18), today=D(2026, 12, 18)
    )
    assert appeal_row(db_url, appeal_id).late is False


def test_window_runs_from_a_later_start_date(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors, starts_on=D(2026, 12, 1))  # closes 29 Dec
    on_time = appeal(db_url, uow, actors, case_id, entry_id, received=D(2026, 12, 29), today=D(2026, 12, 29))
    assert appeal_row(db_url, on_time).late is False


def test_decision_maker_must_not_be_the_officer_who_approved_the_spoc(db_url, uow, actors):
    # The AD for Corporate Service and ICT, covering as Data Management Officer, approved the SPOC.
    covering = dataclasses.replace(actors["ad.ict"], role=Role.DMO)
    case_id, entry_id = a_case_with_a_spoc(db_url, actors, dmo=covering)
    route = cases.route_for(actors["teamleader"], case_id, "spoc_entry", entry_id, uow())
    assert route.conflict is True
    assert actors["ad.ict"].user_id not in [a.id for a in route.alternatives]
    with pytest.raises(PolicyError, match="cannot be decided by the officer who took the decision"):
        appeal(db_url, uow, actors, case_id, entry_id)
    appeal_id = appeal(
        db_url, uow, actors, case_id, entry_id, decision_maker_id=actors["ad.customer"].user_id
    )
    assert appeal_row(db_url, appeal_id).decision_maker_id == actors["ad.customer"].user_id


def test_deciding_ad_who_approved_the_spoc_is_refused_at_decision(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    with UnitOfWork(db_url) as u:  # set-up: the register shows the ICT AD took the SPOC decision
        from core.models import SpocRequest

        u.session.get(SpocRequest, u.session.get(SpocEntry, entry_id).request_id).decided_by_id = actors[
            "ad.ict"
        ].user_id
        u.commit()
    with pytest.raises(PolicyError, match="cannot be decided by the officer who took the decision"):
        decide(db_url, uow, actors, appeal_id, case_id, "upheld")
    assert appeal_row(db_url, appeal_id).decided_on is None


def test_second_appeal_on_the_same_spoc_waits(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal(db_url, uow, actors, case_id, entry_id)
    with pytest.raises(PolicyError, match="already waiting for a decision"):
        appeal(db_url, uow, actors, case_id, entry_id)


# ---------------------------------------------------------------- outcomes


def test_upheld_spoc_stands(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    before = entry_row(db_url, entry_id)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    with pytest.raises(PermissionDenied):
        cases.decide_appeal(
            actors["ad.housing"],
            appeal_id,
            cases.AppealDecision("upheld", "x"),
            version(db_url, case_id),
            uow(),
            D(2026, 11, 27),
        )
    result = decide(db_url, uow, actors, appeal_id, case_id, "upheld")
    assert result.outcome == "upheld" and result.case_stage == "formal" and result.late_decision is False
    after = entry_row(db_url, entry_id)
    assert vars(after) == vars(before)
    assert appeal_row(db_url, appeal_id).outcome.value == "upheld"


def test_varied_spoc_changes_its_terms_channels_times_limit_and_review(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    with pytest.raises(PolicyError, match="Say how the decision is varied"):
        decide(db_url, uow, actors, appeal_id, case_id, "varied")
    with pytest.raises(PolicyError, match="between 3 and 12 months after the start"):
        decide(db_url, uow, actors, appeal_id, case_id, "varied", new_review_due=D(2027, 1, 20))
    with pytest.raises(PolicyError, match="Say how the decision is varied"):
        decide(
            db_url, uow, actors, appeal_id, case_id, "varied", channels=[], contact_times=""
        )  # blank: unchanged
    with pytest.raises(PolicyError, match="Channel"):
        decide(db_url, uow, actors, appeal_id, case_id, "varied", channels=["carrier pigeon"])
    assert entry_row(db_url, entry_id).channels == ["email"]
    decide(
        db_url,
        uow,
        actors,
        appeal_id,
        case_id,
        "varied",
        varied_terms="Contact by email or phone.",
        channels=["email", "phone"],
        contact_times="Mon-Fri 09:00-16:00",
        contact_limit="Four contacts a week",
        new_review_due=D(2027, 2, 22),
    )
    row = entry_row(db_url, entry_id)
    assert row.status == RegisterStatus.ACTIVE
    assert (row.terms, row.channels, row.contact_times, row.contact_limit, row.review_due) == (
        "Contact by email or phone.",
        ["email", "phone"],
        "Mon-Fri 09:00-16:00",
        "Four contacts a week",
        D(2027, 2, 22),
    )
    notes = appeal_row(db_url, appeal_id).decision_notes
    assert "review due 22 February 2027" in notes and "Four contacts a week" in notes
    with UnitOfWork(db_url) as u:
        audit = u.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "spoc_entry", AuditEntry.action == "update_spoc_entry"
            )
        )
        assert audit.before["contact_limit"] == "Two contacts a week"
        assert audit.after["contact_limit"] == "Four contacts a week"


def test_varied_review_date_only(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    decide(db_url, uow, actors, appeal_id, case_id, "varied", new_review_due=D(2027, 11, 20))  # 12 months
    row = entry_row(db_url, entry_id)
    assert (
        row.review_due == D(2027, 11, 20) and row.terms == "All contact through the named officer by email."
    )


def test_overturned_spoc_ends_with_audit(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    result = decide(db_url, uow, actors, appeal_id, case_id, "overturned")
    assert result.case_stage == "formal"  # the formal-stage decision itself was not appealed
    row = entry_row(db_url, entry_id)
    assert (row.status, row.ended_on, row.ended_reason) == (
        RegisterStatus.ENDED,
        D(2026, 11, 27),
        "Overturned on appeal.",
    )
    with UnitOfWork(db_url) as u:
        audit = u.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "spoc_entry",
                AuditEntry.entity_id == entry_id,
                AuditEntry.action == "end_spoc",
            )
        )
        assert audit.user_id == actors["ad.ict"].user_id
        assert audit.before["status"] == "active" and audit.after["status"] == "ended"
        assert audit.after["ended_reason"] == "Overturned on appeal."
    assert registers.spoc_register(actors["dmo"], uow(), "active", today=D(2026, 11, 27)).rows == []
    assert cases.case_overview(actors["teamleader"], case_id, uow(), D(2026, 11, 27)).spoc_entries == ()
    with pytest.raises(PolicyError, match="already overturned"):
        appeal(db_url, uow, actors, case_id, entry_id, today=D(2026, 11, 27))


def test_ended_spoc_cannot_be_appealed_and_a_pending_one_can_only_be_upheld(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)
    registers.end_spoc(
        actors["dmo"],
        entry_id,
        D(2026, 11, 26),
        "Customer moved out of NPH housing.",
        uow(),
        today=D(2026, 11, 26),
    )
    with pytest.raises(PolicyError, match="can only be upheld"):
        decide(db_url, uow, actors, appeal_id, case_id, "overturned")
    decide(db_url, uow, actors, appeal_id, case_id, "upheld")
    with pytest.raises(PolicyError, match="has ended"):
        appeal(db_url, uow, actors, case_id, entry_id, today=D(2026, 11, 27), received=D(2026, 11, 27))


def test_spoc_fields_refused_for_other_appeals(db_url, uow, actors):
    case_id, _ = a_case_with_a_spoc(db_url, actors)
    view = cases.case_overview(actors["teamleader"], case_id, uow(), TODAY)
    formal = next(d.id for d in view.decisions if d.to_stage == "formal")
    appeal_id = cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        formal,
        D(2026, 11, 20),
        GROUNDS,
        version(db_url, case_id),
        uow(),
        TODAY,
    )
    with pytest.raises(PolicyError, match="Only a SPOC on the register"):
        cases.decide_appeal(
            actors["ad.housing"],
            appeal_id,
            cases.AppealDecision("varied", "x", contact_limit="One a week"),
            version(db_url, case_id),
            uow(),
            D(2026, 11, 27),
        )


def test_stale_version_refused(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    stale = version(db_url, case_id)
    appeal_id = appeal(db_url, uow, actors, case_id, entry_id)  # moves the case version on
    with pytest.raises(StaleRecord):
        cases.record_appeal(
            actors["teamleader"],
            case_id,
            "spoc_entry",
            entry_id,
            D(2026, 11, 25),
            GROUNDS,
            stale,
            uow(),
            D(2026, 11, 25),
        )
    with pytest.raises(StaleRecord):
        cases.decide_appeal(
            actors["ad.ict"],
            appeal_id,
            cases.AppealDecision("overturned", "Not proportionate."),
            stale,
            uow(),
            D(2026, 11, 27),
        )
    assert entry_row(db_url, entry_id).status == RegisterStatus.ACTIVE
    assert appeal_row(db_url, appeal_id).decided_on is None


# ---------------------------------------------------------------- other views keep working


def test_checklist_compliance_and_timeline_handle_a_spoc_appeal(db_url, uow, actors):
    case_id, entry_id = a_case_with_a_spoc(db_url, actors)
    appeal(db_url, uow, actors, case_id, entry_id)
    late_day = D(2026, 12, 10)  # the appeal decision (due 2 Dec) is overdue
    assert cases.case_checklist(actors["teamleader"], case_id, uow(), late_day)
    (row,) = [
        r
        for r in cases.compliance_overview(actors["teamleader"], uow(), late_day).rows
        if r.case_id == case_id
    ]
    assert cases.Overdue(what="Appeal decision", due=D(2026, 12, 2), days_overdue=8) in row.overdue
    view = cases.case_overview(actors["teamleader"], case_id, uow(), late_day)
    assert [(a.subject_type, a.subject_id) for a in view.appeals] == [("spoc_entry", entry_id)]
    with UnitOfWork(db_url) as u:
        customer_id = u.session.get(SpocEntry, entry_id).customer_id
    events = timeline.get_timeline(
        actors["teamleader"], customer_id, uow(), kinds=["appeal"], today=late_day
    )["events"]
    assert len(events) == 1 and f"spoc entry #{entry_id}" in str(events[0])
