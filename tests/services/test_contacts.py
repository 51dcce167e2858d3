"""Issue 16 items 1 and 2: the contact log and notes, checked against the restriction in force."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Case, FormalAction
from core.services import contacts
from core.services.incidents import WordingToCheck
from tests.services.case_scenarios import a_case_at_formal_stage

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 11, 16)


def _restriction(url: str, case_id: int) -> tuple[int, int]:
    with UnitOfWork(url) as uow:
        case = uow.session.get_one(Case, case_id)
        action_id = uow.session.execute(
            select(FormalAction.id).where(FormalAction.case_id == case_id).limit(1)
        ).scalar_one()
        return case.customer_id, action_id


def a_call(customer_id: int, day: dt.date, hour: int = 10, **kw) -> contacts.NewContact:
    values: dict[str, Any] = dict(
        customer_id=customer_id,
        occurred_at=dt.datetime.combine(day, dt.time(hour), dt.UTC),
        channel="phone",
        direction="in",
        summary="The customer asked about the repair date.",
        duration_minutes=6,
    )
    values.update(kw)
    return contacts.NewContact(**values)


@pytest.fixture
def restricted(db_url, uow, actors):
    """A case at the formal stage with a '2 calls a week' restriction."""
    case_id = a_case_at_formal_stage(db_url, actors)
    customer_id, action_id = _restriction(db_url, case_id)
    contacts.set_contact_rule(actors["teamleader"], action_id, uow(), channels=["phone"], max_contacts=2)
    return case_id, customer_id, action_id


def test_a_third_call_in_a_week_is_marked_counted_and_shown_at_review(db_url, uow, actors, restricted):
    case_id, customer_id, action_id = restricted
    tl = actors["teamleader"]
    ids = [
        contacts.log_contact(tl, a_call(customer_id, MON + dt.timedelta(days=d)), uow(), now=NOW)
        for d in range(3)
    ]
    assert contacts.outside_count(tl, case_id, uow()) == 1
    outside = contacts.outside_for_restriction(tl, action_id, uow())
    assert [e.id for e in outside] == [ids[2]]
    assert "over the limit" in outside[0].outside_reasons[0]
    home = contacts.outside_for_owner(tl, uow())
    assert [r.contact_id for r in home] == [ids[2]]
    with UnitOfWork(db_url) as w:
        events = contacts.timeline_events_for(w, customer_id)
    flagged = [e for e in events if e.flagged]
    assert [e.source_id for e in flagged] == [ids[2]] and "outside the arrangement" in flagged[0].title


def test_calls_we_make_are_never_outside(db_url, uow, actors, restricted):
    case_id, customer_id, _ = restricted
    for _d in range(3):
        contacts.log_contact(actors["teamleader"], a_call(customer_id, MON, direction="out"), uow(), now=NOW)
    assert contacts.outside_count(actors["teamleader"], case_id, uow()) == 0


def test_correcting_a_contact_needs_a_reason_keeps_the_old_version_and_recounts(
    db_url, uow, actors, restricted
):
    case_id, customer_id, _ = restricted
    tl = actors["teamleader"]
    ids = [contacts.log_contact(tl, a_call(customer_id, MON, hour=9 + d), uow(), now=NOW) for d in range(3)]
    with pytest.raises(PolicyError):
        contacts.correct_contact(
            tl, ids[2], a_call(customer_id, MON + dt.timedelta(days=7)), "", uow(), now=NOW
        )
    contacts.correct_contact(
        tl, ids[2], a_call(customer_id, MON - dt.timedelta(days=7)), "Wrong week entered.", uow(), now=NOW
    )
    assert contacts.outside_count(tl, case_id, uow()) == 0
    with UnitOfWork(db_url) as w:
        entry = w.session.scalars(select(AuditEntry).where(AuditEntry.action == "correct_contact")).one()
        assert entry.reason == "Wrong week entered." and entry.before["occurred_at"].startswith("2026-11-16")
    listed = contacts.list_contacts(tl, customer_id, uow())
    assert next(e for e in listed if e.id == ids[2]).amended_at is not None


def test_a_note_is_logged_with_the_factual_language_check(db_url, uow, actors, restricted):
    _, customer_id, _ = restricted
    note = a_call(
        customer_id,
        MON,
        kind="note",
        direction="internal",
        channel="phone",
        with_whom="Adult safeguarding",
        summary="I think she is lying about the repairs.",
    )
    with pytest.raises(WordingToCheck):
        contacts.log_contact(actors["teamleader"], note, uow(), now=NOW)
    note.summary = "Safeguarding confirmed a worker visited on 12 November."
    note_id = contacts.log_contact(actors["teamleader"], note, uow(), now=NOW)
    entries = contacts.list_contacts(actors["teamleader"], customer_id, uow())
    assert [(e.id, e.kind.value, e.with_whom) for e in entries] == [(note_id, "note", "Adult safeguarding")]


def test_a_contractor_cannot_log_or_read_contacts(db_url, uow, actors, restricted):
    _, customer_id, _ = restricted
    viewer = next(a for a in actors.values() if a.role.value == "viewer")
    with pytest.raises(PermissionDenied):
        contacts.log_contact(viewer, a_call(customer_id, MON), uow(), now=NOW)
    with pytest.raises(PermissionDenied):
        contacts.list_contacts(viewer, customer_id, uow())
