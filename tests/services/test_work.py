"""My work (issue 15): each role's work, counted and ordered most urgent first, on SQLite and
PostgreSQL; the counts cover every row though only the first few are listed."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import UnitOfWork
from core.enums import Stage
from core.errors import PermissionDenied
from core.models import Case
from core.policy.work import due_words
from core.services import work
from tests.work_seed import seed_work

TODAY = dt.date(2026, 11, 20)


def _counts(mine: work.MyWork) -> dict[str, int]:
    return {line.kind: line.count for line in mine.lines if line.count}


def test_each_role_sees_its_own_work(db_url, actors):
    seed_work(db_url, TODAY)
    assert _counts(work.my_work(actors["teamleader"], UnitOfWork(db_url), TODAY)) == {
        "appeals_on_cases": 1,
        "needs_owner": 1,
    }
    assert _counts(work.my_work(actors["ad.housing"], UnitOfWork(db_url), TODAY)) == {
        "appeals_to_decide": 1,
        "formal_cases": 1,
        "needs_owner": 1,
    }
    assert _counts(work.my_work(actors["ad.repairs"], UnitOfWork(db_url), TODAY)) == {}
    assert _counts(work.my_work(actors["dmo"], UnitOfWork(db_url), TODAY)) == {
        "data_requests": 1,
        "spoc_requests": 1,
    }
    assert _counts(work.my_work(actors["hsw"], UnitOfWork(db_url), TODAY)) == {
        "pvp_reviews": 1,
        "pvp_considerations": 1,
    }
    assert _counts(work.my_work(actors["admin"], UnitOfWork(db_url), TODAY)) == {
        "users_without_area": 1,
        "areas_without_ad": 1,
    }


def test_deadlines_come_from_the_policy_and_say_how_late(db_url, actors):
    seeded = seed_work(db_url, TODAY)
    mine = work.my_work(actors["ad.housing"], UnitOfWork(db_url), TODAY)
    appeal = next(line for line in mine.lines if line.kind == "appeals_to_decide").items[0]
    assert appeal.ref_id == seeded.appeal_id
    assert appeal.overdue_days == (TODAY - appeal.due_on).days > 0
    assert appeal.due_text == due_words(appeal.due_on, TODAY)
    assert "NPH700001" in appeal.title
    dmo = work.my_work(actors["dmo"], UnitOfWork(db_url), TODAY)
    request = next(line for line in dmo.lines if line.kind == "data_requests").items[0]
    assert request.due_on == dt.date(2026, 11, 26) and request.due_text == "due in 6 days"


def test_counts_cover_everything_while_the_list_is_limited_and_most_urgent_first(db_url, actors):
    seeded = seed_work(db_url, TODAY)
    with UnitOfWork(db_url) as uow:
        base = uow.session.get_one(Case, seeded.formal_case_id)
        for days in (3, 40, 1):
            uow.session.add(
                Case(
                    customer_id=base.customer_id,
                    service_area_id=base.service_area_id,
                    opened_by_id=actors["teamleader"].user_id,
                    stage=Stage.WARNING,
                    warning_review_due=TODAY + dt.timedelta(days=days),
                )
            )
        uow.commit()
    mine = work.my_work(actors["teamleader"], UnitOfWork(db_url), TODAY, limit=1)
    line = next(line for line in mine.lines if line.kind == "warning_reviews")
    assert line.count == 2  # the one due in 40 days is beyond the 30-day horizon
    assert [item.due_on for item in line.items] == [TODAY + dt.timedelta(days=1)]


def test_the_owner_is_the_one_who_opened_the_case(db_url, actors):
    seeded = seed_work(db_url, TODAY)
    with UnitOfWork(db_url) as uow:
        assert uow.session.get(Case, seeded.formal_case_id).owner_id == actors["teamleader"].user_id


def test_the_contractor_has_no_home_page(db_url, actors):
    with pytest.raises(PermissionDenied):
        work.my_work(actors["contractor"], UnitOfWork(db_url), TODAY)
    assert work.work_count(actors["contractor"], UnitOfWork(db_url), TODAY) == 0


def _warning_case(db_url, actors, seeded, review_due: dt.date, incident_days_after: int | None) -> int:
    from core.enums import Category, Channel, EvidenceSource
    from core.models import Incident, StageEvent

    leader = actors["teamleader"].user_id
    warned_on = review_due - dt.timedelta(days=120)
    with UnitOfWork(db_url) as uow:
        base = uow.session.get_one(Case, seeded.formal_case_id)
        case = Case(
            customer_id=base.customer_id,
            service_area_id=base.service_area_id,
            opened_by_id=leader,
            stage=Stage.WARNING,
            warning_review_due=review_due,
        )
        uow.session.add(case)
        uow.session.flush()
        uow.session.add(
            StageEvent(
                case_id=case.id,
                from_stage=Stage.INFORMAL,
                to_stage=Stage.WARNING,
                decided_on=warned_on,
                decided_by_id=leader,
            )
        )
        if incident_days_after is not None:
            uow.session.add(
                Incident(
                    customer_id=base.customer_id,
                    case_id=case.id,
                    service_area_id=base.service_area_id,
                    occurred_at=dt.datetime.combine(
                        warned_on + dt.timedelta(days=incident_days_after), dt.time(9), dt.UTC
                    ),
                    channel=Channel.PHONE,
                    category=Category.AGGRESSIVE,
                    description="Swore again.",
                    evidence_source=EvidenceSource.FIRST_HAND,
                    recorded_by_id=leader,
                )
            )
        uow.commit()
        return case.id


def test_a_warning_whose_review_passed_with_no_counting_incident_is_ready_to_close(db_url, actors):
    seeded = seed_work(db_url, TODAY)
    quiet = _warning_case(db_url, actors, seeded, TODAY - dt.timedelta(days=2), None)
    again = _warning_case(db_url, actors, seeded, TODAY - dt.timedelta(days=2), 10)
    lines = {line.kind: line for line in work.my_work(actors["teamleader"], UnitOfWork(db_url), TODAY).lines}
    assert [i.ref_id for i in lines["ready_to_close"].items] == [quiet]
    assert [i.ref_id for i in lines["warning_reviews"].items] == [again]
    assert lines["warning_reviews"].overdue == 1


def test_a_decided_appeal_waits_for_its_outcome_letter_on_the_owners_page(db_url, actors):
    from core.enums import AppealOutcome
    from core.models import Appeal

    seeded = seed_work(db_url, TODAY)
    with UnitOfWork(db_url) as uow:
        appeal = uow.session.get(Appeal, seeded.appeal_id)
        appeal.decided_on, appeal.outcome = TODAY, AppealOutcome.UPHELD
        uow.commit()
    counts = _counts(work.my_work(actors["teamleader"], UnitOfWork(db_url), TODAY))
    assert counts.get("appeals_on_cases") is None
    assert counts["appeal_letters"] == 1
    assert (
        _counts(work.my_work(actors["ad.housing"], UnitOfWork(db_url), TODAY)).get("appeals_to_decide")
        is None
    )
