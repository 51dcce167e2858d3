"""Retention: closed cases with no activity for the retention period are listed, reviewed and,
once the DMO confirms, deleted completely across every table (audit entries stay)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import Category, Channel, EvidenceSource, Stage
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Base, Case, Customer, Incident, Letter, StageEvent
from core.policy import dataprotection as rules
from core.services import dataprotection as dp
from tests.services.dp_scenarios import TODAY, a_full_history, docx_bytes

EIGHT_YEARS_AGO = TODAY - dt.timedelta(days=8 * 365)


def _present(url: str, ids: dict) -> dict[str, int]:
    """How many of the given rows still exist, per table."""
    out = {}
    with UnitOfWork(url) as u:
        for name, keys in ids.items():
            if name.startswith("_") or name == "audit_entry":
                continue
            table = Base.metadata.tables[name]
            if isinstance(next(iter(keys)), tuple):
                a, b = list(table.primary_key.columns)
                out[name] = sum(
                    u.session.scalar(select(func.count()).select_from(table).where(a == x, b == y))
                    for x, y in keys
                )
            else:
                out[name] = u.session.execute(
                    select(func.count()).select_from(table).where(table.c.id.in_(keys))
                ).scalar_one()
    return out


def _audit_count(url: str, customer_id: int) -> int:
    with UnitOfWork(url) as u:
        return u.session.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.customer_id == customer_id)
        ).scalar_one()


@pytest.fixture
def world(db_url):
    return {
        "stale": a_full_history(db_url, "NPH800001", "Ivy", "Oldcase", start=EIGHT_YEARS_AGO, closed=True),
        "recent": a_full_history(
            db_url, "NPH800002", "Jon", "Recent", start=TODAY - dt.timedelta(days=700), closed=True
        ),
        "held": a_full_history(
            db_url, "NPH800003", "Kim", "Held", start=EIGHT_YEARS_AGO, closed=True, legal_hold=True
        ),
        "open": a_full_history(db_url, "NPH800004", "Lee", "Stillopen", start=EIGHT_YEARS_AGO),
    }


def _old_closed_case_for(url: str, history: dict) -> dict:
    """A second, long-closed case (with an incident, a decision and a letter) for a customer."""
    with UnitOfWork(url) as u:
        s = u.session
        first = s.get_one(Incident, min(history["incident"]))
        when = dt.datetime(2015, 3, 1, 10, tzinfo=dt.UTC)
        case = Case(
            customer_id=first.customer_id,
            service_area_id=first.service_area_id,
            stage=Stage.CLOSED,
            opened_at=when,
            closed_at=when + dt.timedelta(days=30),
            opened_by_id=first.recorded_by_id,
        )
        s.add(case)
        s.flush()
        incident = Incident(
            customer_id=first.customer_id,
            case_id=case.id,
            service_area_id=first.service_area_id,
            occurred_at=when,
            channel=Channel.EMAIL,
            category=Category.UNREASONABLE_DEMANDS,
            description="Forty emails in a day",
            evidence_source=EvidenceSource.FIRST_HAND,
            recorded_by_id=first.recorded_by_id,
            recorded_at=when,
        )
        event = StageEvent(
            case_id=case.id,
            from_stage=Stage.NONE,
            to_stage=Stage.CLOSED,
            decided_on=when.date(),
            decided_by_id=first.recorded_by_id,
            reason="Resolved",
            recorded_at=when,
        )
        letter = Letter(
            case_id=case.id,
            customer_id=first.customer_id,
            letter_type="informal_summary",
            author_id=first.recorded_by_id,
            content=docx_bytes("Old letter"),
            created_at=when,
        )
        s.add_all([incident, event, letter])
        u.commit()
        return {
            "case_file": {case.id},
            "incident": {incident.id},
            "stage_event": {event.id},
            "letter": {letter.id},
        }


def test_retention_period_is_configurable():
    assert rules.retention_years(environ={}) == 6
    assert rules.retention_years(environ={"FT_RETENTION_YEARS": "7"}) == 7
    assert rules.retention_years(3, environ={"FT_RETENTION_YEARS": "7"}) == 3
    with pytest.raises(PolicyError, match="whole number"):
        rules.retention_years(environ={"FT_RETENTION_YEARS": "six"})
    assert rules.retention_cutoff(dt.date(2026, 11, 20), 6) == dt.date(2020, 11, 20)


def test_candidates_are_closed_cases_with_no_activity_for_the_period(db_url, uow, actors, world):
    found = dp.retention_candidates(actors["dmo"], uow(), today=TODAY)
    assert found.years == 6 and found.cutoff == dt.date(2020, 11, 20)
    by_case = {c.case_id: c for c in found.cases}
    stale_case, held_case = min(world["stale"]["case_file"]), min(world["held"]["case_file"])
    assert set(by_case) == {stale_case, held_case}
    assert not by_case[stale_case].blocked
    assert by_case[held_case].blocked and "legal hold" in by_case[held_case].blocked_reason
    assert by_case[stale_case].last_activity <= found.cutoff
    assert dp.retention_candidates(actors["dmo"], uow(), today=TODAY, years=10).cases == []


def test_the_environment_sets_the_default_period(db_url, uow, actors, world, monkeypatch):
    monkeypatch.setenv("FT_RETENTION_YEARS", "9")
    found = dp.retention_candidates(actors["dmo"], uow(), today=TODAY)
    assert found.years == 9 and found.cases == []


def test_confirmed_deletion_is_complete_across_every_table(db_url, uow, actors, world):
    stale = world["stale"]
    customer_id = min(stale["customer"])
    audit_before = _audit_count(db_url, customer_id)
    assert all(_present(db_url, stale).values())
    result = dp.confirm_retention_deletion(actors["dmo"], [min(stale["case_file"])], uow(), today=TODAY)
    assert result["customers_deleted"] == [customer_id]
    assert _present(db_url, stale) == {name: 0 for name in _present(db_url, stale)}
    with UnitOfWork(db_url) as u:
        assert u.session.get(Customer, customer_id) is None
        # the audit trail stays, and the deletion is itself recorded with ids and counts only
        entries = u.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action.in_(["retention_delete_case", "retention_delete_customer"])
            )
        ).all()
        assert {e.action for e in entries} == {"retention_delete_case", "retention_delete_customer"}
        assert all(e.username == "dmo" and "Retention" in e.reason for e in entries)
        case_entry = next(e for e in entries if e.action == "retention_delete_case")
        assert case_entry.before["counts"]["incident"] == 2
        assert sorted(case_entry.before["record_ids"]["letter"]) == sorted(stale["letter"])
        text = " ".join(str(e.before) for e in entries)
        assert "Oldcase" not in text and "shouted" not in text and "Email only" not in text
    assert _audit_count(db_url, customer_id) == audit_before + 2
    # everyone else is untouched
    for other in ("recent", "held", "open"):
        assert all(_present(db_url, world[other]).values()), other


def test_a_customer_with_a_live_case_keeps_their_record(db_url, uow, actors, world):
    old = _old_closed_case_for(db_url, world["open"])
    dp.confirm_retention_deletion(actors["dmo"], list(old["case_file"]), uow(), today=TODAY)
    assert _present(db_url, old) == {"case_file": 0, "incident": 0, "stage_event": 0, "letter": 0}
    assert all(_present(db_url, world["open"]).values())


def test_deletion_is_refused_for_a_case_not_due_or_on_hold_and_nothing_is_deleted(db_url, uow, actors, world):
    stale_case = min(world["stale"]["case_file"])
    for other in ("recent", "held", "open"):
        with pytest.raises(PolicyError, match="Nothing was deleted"):
            dp.confirm_retention_deletion(
                actors["dmo"], [stale_case, min(world[other]["case_file"])], uow(), today=TODAY
            )
    assert all(_present(db_url, world["stale"]).values())
    with pytest.raises(PermissionDenied):
        dp.confirm_retention_deletion(actors["teamleader"], [stale_case], uow(), today=TODAY)
    with pytest.raises(PermissionDenied):
        dp.retention_candidates(actors["admin"], uow(), today=TODAY)
