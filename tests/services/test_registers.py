"""The SPOC register (DMO) and the PVP register (H&S Well-being Officer), clause 5, on SQLite and
PostgreSQL: requests, review meetings, two-step PVP approval, notice, reviews and the red-flag export."""

import datetime as dt
import io
from contextlib import contextmanager

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from core.enums import Behaviour, Category, Channel, EvidenceSource, RegisterStatus, Stage
from core.errors import PermissionDenied, PolicyError
from core.models import (
    AuditEntry,
    Case,
    Customer,
    Incident,
    IncidentBehaviour,
    PvpConsideration,
    PvpEntry,
    Review,
    ServiceArea,
    SpocEntry,
    SpocRequest,
)
from core.policy.deadlines import add_months
from core.services import registers
from tests.scenarios import NOW, a_customer, an_incident

TODAY = NOW.date()


# --- scenario helpers -------------------------------------------------------------------------


def at_formal_stage(db_url, case_id):
    """Test set-up only: the stage workflow is another service; here the case just is formal."""
    from core.db import UnitOfWork

    with UnitOfWork(db_url) as u:
        u.session.get(Case, case_id).stage = Stage.FORMAL
        u.commit()


def case_of(uow, incident_id):
    from core.models import Incident

    with uow() as u:
        return u.session.get(Incident, incident_id).case_id


def a_formal_case(db_url, uow, tl, ref="NPH900001"):
    """A customer with two counting incidents and one hearsay one, on a formal-stage case."""
    customer = a_customer(db_url, tl, ref=ref)
    first = an_incident(db_url, tl, customer, when=NOW - dt.timedelta(days=20))
    second = an_incident(db_url, tl, customer, when=NOW - dt.timedelta(days=5))
    hearsay = an_incident(db_url, tl, customer, when=NOW - dt.timedelta(days=3), evidence_source="hearsay")
    case_id = case_of(uow, first)
    at_formal_stage(db_url, case_id)
    return {"customer": customer, "case": case_id, "counting": [first, second], "hearsay": hearsay}


def count(uow, model, *where):
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model).where(*where))


def approve(actors, uow, request_id, **overrides):
    values = dict(
        meeting_on=TODAY,
        attendees="DMO; team leader; housing officer",
        discussion="Reviewed the incident log and the warning letter.",
        approve=True,
        decision_reason="Repeated contact across teams despite the warning.",
        spoc_user_id=actors["teamleader"].user_id,
        channels=["email"],
        contact_times="Mon-Fri 10:00-12:00",
        contact_limit="Two contacts a week",
        terms="All contact through the named officer by email.",
        starts_on=TODAY,
        review_due=add_months(TODAY, 6),
        today=TODAY,
    )
    values.update(overrides)
    today = values.pop("today")
    return registers.record_spoc_meeting_and_decide(
        actors["dmo"], request_id, registers.SpocMeeting(**values), uow(), today=today
    )


@pytest.fixture
def tl(actors):
    return actors["teamleader"]


@pytest.fixture
def formal(db_url, uow, tl):
    return a_formal_case(db_url, uow, tl)


# --- SPOC ---------------------------------------------------------------------------------------


def test_dmo_approval_flow_end_to_end(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"],
        formal["case"],
        "Contact with five teams a day.",
        formal["counting"],
        uow(),
        now=NOW,
    )
    pending = registers.spoc_requests(actors["dmo"], uow()).rows
    assert [r.request_id for r in pending] == [request_id]
    assert sorted(e.id for e in pending[0].evidence) == sorted(formal["counting"])
    assert pending[0].reason == "Contact with five teams a day."

    result = approve(actors, uow, request_id)
    assert result.status == "active" and result.entry_id
    assert registers.spoc_requests(actors["dmo"], uow()).rows == []

    register = registers.spoc_register(actors["dmo"], uow(), status="active", today=TODAY).rows
    assert len(register) == 1
    row = register[0]
    assert row.entry_id == result.entry_id
    assert row.spoc_officer == actors["teamleader"].name
    assert row.channels == "Email"
    assert row.contact_times == "Mon-Fri 10:00-12:00" and row.contact_limit == "Two contacts a week"
    assert row.starts_on == TODAY and row.review_due == add_months(TODAY, 6)
    assert row.service_area == "Housing Management"

    with uow() as u:
        request = u.session.get(SpocRequest, request_id)
        assert request.meeting_on == TODAY and request.attendees.startswith("DMO")
        assert request.decided_by_id == actors["dmo"].user_id
        actions = [a.action for a in u.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert {"request_spoc", "approve_spoc", "add_spoc_entry"} <= set(actions)

    # and it is on the case timeline the team leader reads
    from core.services.timeline import get_timeline

    timeline = get_timeline(actors["teamleader"], formal["customer"], uow())
    assert "SPOC on the register" in repr(timeline)


def test_rejected_request_keeps_its_reasons_and_makes_no_entry(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Many calls.", formal["counting"][:1], uow(), now=NOW
    )
    result = registers.record_spoc_meeting_and_decide(
        actors["dmo"],
        request_id,
        registers.SpocMeeting(
            TODAY,
            "DMO; team leader",
            "Discussed the calls.",
            False,
            "Limiting contact to email is enough; a SPOC is not proportionate.",
        ),
        uow(),
        today=TODAY,
    )
    assert result == registers.SpocDecision(request_id=request_id, entry_id=None, status="rejected")
    assert count(uow, SpocEntry) == 0
    rejected = registers.spoc_requests(actors["dmo"], uow(), status="rejected").rows
    assert rejected[0].decision_reason == "Limiting contact to email is enough; a SPOC is not proportionate."
    assert rejected[0].reason == "Many calls." and rejected[0].discussion == "Discussed the calls."
    with pytest.raises(PolicyError, match="already been decided"):
        approve(actors, uow, request_id)


@pytest.mark.parametrize(
    "review_due", [add_months(TODAY, 2), add_months(TODAY, 13), add_months(TODAY, 3) - dt.timedelta(days=1)]
)
def test_spoc_review_date_outside_3_to_12_months_is_refused(actors, uow, formal, review_due):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    with pytest.raises(PolicyError, match="between 3 and 12 months"):
        approve(actors, uow, request_id, review_due=review_due)
    assert count(uow, SpocEntry) == 0
    assert registers.spoc_requests(actors["dmo"], uow()).rows[0].status.label == "Pending decision"


def test_spoc_review_dates_at_3_and_12_months_are_accepted(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    assert approve(actors, uow, request_id, review_due=add_months(TODAY, 12)).entry_id


def test_spoc_request_needs_reason_evidence_and_the_formal_stage(actors, uow, db_url, tl, formal):
    tl = actors["teamleader"]
    with pytest.raises(PolicyError, match="clear reason") as refusal:
        registers.request_spoc(tl, formal["case"], "  ", [], uow(), now=NOW)
    assert "at least one recorded incident" in str(refusal.value)
    with pytest.raises(PolicyError, match="Hearsay cannot be used"):
        registers.request_spoc(tl, formal["case"], "Reason.", [formal["hearsay"]], uow(), now=NOW)
    other = a_customer(db_url, tl, ref="NPH900002", first="Other", last="Person")
    stray = an_incident(db_url, tl, other)
    with pytest.raises(PolicyError, match="not this customer's"):
        registers.request_spoc(tl, formal["case"], "Reason.", [stray], uow(), now=NOW)
    with pytest.raises(PolicyError, match="formal stage"):
        registers.request_spoc(tl, case_of(uow, stray), "Reason.", [stray], uow(), now=NOW)
    assert count(uow, SpocRequest) == 0


def test_meeting_must_be_recorded_in_full(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    with pytest.raises(PolicyError) as refusal:
        approve(
            actors,
            uow,
            request_id,
            attendees="",
            discussion="",
            channels=[],
            meeting_on=TODAY + dt.timedelta(days=1),
        )
    for words in ("who attended", "what was discussed", "at least one channel", "cannot be in the future"):
        assert words in str(refusal.value)


def test_spoc_review_and_register_filters(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    entry_id = approve(actors, uow, request_id, review_due=add_months(TODAY, 3)).entry_id
    later = add_months(TODAY, 3) - dt.timedelta(days=10)  # due within 30 days
    assert [r.entry_id for r in registers.spoc_register(actors["dmo"], uow(), "due", today=later).rows] == [
        entry_id
    ]
    assert registers.spoc_register(actors["dmo"], uow(), "overdue", today=later).rows == []
    overdue_day = add_months(TODAY, 3) + dt.timedelta(days=1)
    overdue = registers.spoc_register(actors["dmo"], uow(), "overdue", today=overdue_day).rows
    assert overdue[0].review_state == "Review overdue"
    assert registers.reviews_due(actors["dmo"], uow(), today=overdue_day).spoc == registers.DueCounts(
        active=1, overdue=1, due_soon=0
    )

    with pytest.raises(PolicyError, match="between 3 and 12 months"):
        registers.review_spoc(
            actors["dmo"],
            entry_id,
            registers.SpocReview(
                overdue_day,
                "continue",
                "No incidents since.",
                next_review_due=overdue_day + dt.timedelta(days=10),
            ),
            uow(),
            today=overdue_day,
        )
    registers.review_spoc(
        actors["dmo"],
        entry_id,
        registers.SpocReview(
            overdue_day, "continue", "Two incidents since.", next_review_due=add_months(overdue_day, 6)
        ),
        uow(),
        today=overdue_day,
    )
    assert registers.spoc_register(actors["dmo"], uow(), "overdue", today=overdue_day).rows == []
    registers.review_spoc(
        actors["dmo"],
        entry_id,
        registers.SpocReview(
            overdue_day, "lift", "No incidents for months.", notes="Normal working restored."
        ),
        uow(),
        today=overdue_day,
    )
    ended = registers.spoc_register(actors["dmo"], uow(), "ended", today=overdue_day).rows
    assert ended[0].ended_on == overdue_day and "Normal working restored." in ended[0].ended_reason
    assert registers.spoc_register(actors["dmo"], uow(), "active", today=overdue_day).rows == []
    assert count(uow, Review, Review.subject_type == "spoc_entry") == 2


def test_spoc_register_filters_by_service_area(actors, uow, formal):
    from core.services.users import list_service_areas

    areas = {a["name"]: a["id"] for a in list_service_areas(uow())}
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    approve(actors, uow, request_id)
    assert (
        len(
            registers.spoc_register(
                actors["dmo"], uow(), service_area_id=areas["Housing Management"], today=TODAY
            ).rows
        )
        == 1
    )
    assert (
        registers.spoc_register(
            actors["dmo"], uow(), service_area_id=areas["Repairs and Maintenance"], today=TODAY
        ).rows
        == []
    )


def test_spoc_permissions_per_role(actors, uow, formal):
    with pytest.raises(PermissionDenied):
        registers.request_spoc(actors["dmo"], formal["case"], "Reason.", formal["counting"], uow())
    for who in ("contractor", "admin"):
        with pytest.raises(PermissionDenied):
            registers.request_spoc(actors[who], formal["case"], "Reason.", formal["counting"], uow())
        with pytest.raises(PermissionDenied):
            registers.spoc_register(actors[who], uow())
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], "Reason.", formal["counting"], uow(), now=NOW
    )
    for who in ("teamleader", "hsw", "ad.ict", "contractor"):
        with pytest.raises(PermissionDenied):
            approve({**actors, "dmo": actors[who]}, uow, request_id)
    assert count(uow, SpocEntry) == 0


# --- PVP ---------------------------------------------------------------------------------------


@pytest.fixture
def violent(db_url, tl):
    customer = a_customer(db_url, tl, ref="NPH900010", first="Jo", last="Bloggs")
    incident = an_incident(
        db_url,
        tl,
        customer,
        when=NOW - dt.timedelta(days=2),
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-2026-0001",
        description="The customer pushed the repairs operative at the door.",
    )
    return {"customer": customer, "incident": incident}


def consideration_id(uow, incident_id):
    with uow() as u:
        return u.session.scalar(
            select(PvpConsideration.id).where(PvpConsideration.incident_id == incident_id)
        )


def propose(actors, uow, violent, **overrides):
    values = dict(
        reasons="Pushed a repairs operative; police referred.",
        arrangements="No lone working; meet at the office.",
        two_officers_on_visits=True,
    )
    values.update(overrides)
    return registers.propose_pvp(
        actors["teamleader"],
        violent["customer"],
        consideration_id(uow, violent["incident"]),
        values["reasons"],
        values["arrangements"],
        values["two_officers_on_visits"],
        uow(),
    )


def test_pvp_queue_shows_open_considerations_from_violent_incidents(actors, uow, violent, db_url, tl):
    an_incident(db_url, tl, violent["customer"])  # not violent: raises nothing
    queue = registers.pvp_queue(actors["hsw"], uow()).rows
    assert [q.incident_id for q in queue] == [violent["incident"]]
    assert queue[0].police_reference == "NP-2026-0001"
    propose(actors, uow, violent)
    assert registers.pvp_queue(actors["hsw"], uow()).rows == []
    for who in ("dmo", "contractor", "admin"):
        with pytest.raises(PermissionDenied):
            registers.pvp_queue(actors[who], uow())


def test_pvp_two_step_approval_with_notice(actors, uow, violent):
    entry_id = propose(actors, uow, violent)
    # proposed is not live: no PVP flag, only the interim in-person arrangement (issue 13 item 5)
    assert [r.flag_type for r in registers.red_flag_export(actors["hsw"], uow())] == [
        "Interim in-person arrangement: No lone visits: attend in pairs"
    ]
    pending = registers.pvp_register(actors["hsw"], uow(), status="pending", today=TODAY).rows
    assert [p.entry_id for p in pending] == [entry_id]
    registers.approve_pvp(actors["hsw"], entry_id, add_months(TODAY, 12), True, uow(), today=TODAY)
    with uow() as u:
        entry = u.session.get(PvpEntry, entry_id)
        assert entry.status.value == "active" and entry.approved_by_id == actors["hsw"].user_id
        assert entry.proposed_by_id == actors["teamleader"].user_id
        assert entry.customer_notified_on == TODAY and entry.reconsider_notice_on is None
        actions = set(u.session.scalars(select(AuditEntry.action)))
        consideration = u.session.get(PvpConsideration, entry.consideration_id)
        assert consideration.status == "closed"
    assert {"propose_pvp", "approve_pvp"} <= actions
    live = registers.pvp_register(actors["teamleader"], uow(), status="active", today=TODAY).rows
    assert live[0].customer_notice.startswith("Told in writing")


def test_pvp_not_notified_needs_reason_and_reconsider_date(actors, uow, violent):
    entry_id = propose(actors, uow, violent)
    with pytest.raises(PolicyError) as refusal:
        registers.approve_pvp(actors["hsw"], entry_id, add_months(TODAY, 6), False, uow(), today=TODAY)
    assert "would itself create a risk" in str(refusal.value) and "date to reconsider" in str(refusal.value)
    with pytest.raises(PolicyError, match="no later than the entry's review date"):
        registers.approve_pvp(
            actors["hsw"],
            entry_id,
            add_months(TODAY, 6),
            False,
            uow(),
            today=TODAY,
            not_notified_reason="Telling him may provoke an attack on the officer.",
            reconsider_notice_on=add_months(TODAY, 7),
        )
    assert registers.pvp_register(actors["hsw"], uow(), "pending", today=TODAY).rows[0].entry_id == entry_id
    registers.approve_pvp(
        actors["hsw"],
        entry_id,
        add_months(TODAY, 6),
        False,
        uow(),
        today=TODAY,
        not_notified_reason="Telling him may provoke an attack on the officer.",
        reconsider_notice_on=add_months(TODAY, 2),
    )
    with uow() as u:
        entry = u.session.get(PvpEntry, entry_id)
        assert entry.customer_notified_on is None
        assert entry.not_notified_reason == "Telling him may provoke an attack on the officer."
        assert entry.reconsider_notice_on == add_months(TODAY, 2)
    later = add_months(TODAY, 2)
    registers.record_pvp_notice_decision(actors["hsw"], entry_id, True, uow(), today=later)
    with uow() as u:
        entry = u.session.get(PvpEntry, entry_id)
        assert entry.customer_notified_on == later and entry.reconsider_notice_on is None


@pytest.mark.parametrize("months,days", [(12, 1), (13, 0), (0, 0)])
def test_pvp_review_date_is_at_most_12_months(actors, uow, violent, months, days):
    entry_id = propose(actors, uow, violent)
    with pytest.raises(PolicyError, match="at most 12 months"):
        registers.approve_pvp(
            actors["hsw"],
            entry_id,
            add_months(TODAY, months) + dt.timedelta(days=days),
            True,
            uow(),
            today=TODAY,
        )
    assert registers.pvp_register(actors["hsw"], uow(), "active", today=TODAY).rows == []


def test_a_new_violent_incident_restarts_the_clock(actors, uow, violent, db_url, tl):
    entry_id = propose(actors, uow, violent)
    start = TODAY - dt.timedelta(days=200)
    registers.approve_pvp(
        actors["hsw"], entry_id, add_months(start, 12), True, uow(), starts_on=start, today=TODAY
    )
    an_incident(
        db_url,
        tl,
        violent["customer"],
        when=NOW - dt.timedelta(hours=3),
        behaviours=["threatening_language"],
        violence_or_threat=True,
        police_reference="NP-2",
    )
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == add_months(TODAY, 12)
        assert (
            u.session.scalar(select(AuditEntry.username).where(AuditEntry.action == "restart_pvp_clock"))
            == "teamleader"
        )
    # hearsay never moves it, nor does a non-violent incident
    an_incident(
        db_url,
        tl,
        violent["customer"],
        when=NOW,
        violence_or_threat=True,
        police_not_referred_reason="Reported second-hand.",
        evidence_source="hearsay",
    )
    with uow() as u:
        assert u.session.get(PvpEntry, entry_id).review_due == add_months(TODAY, 12)


def test_pvp_reject_review_and_remove_keep_reasons(actors, uow, violent, db_url, tl):
    first = propose(actors, uow, violent)
    registers.reject_pvp(
        actors["hsw"], first, "Single incident, police took no action; not justified.", uow(), today=TODAY
    )
    rejected = registers.pvp_register(actors["hsw"], uow(), "rejected", today=TODAY).rows
    assert rejected[0].ended_reason == "Single incident, police took no action; not justified."

    second_incident = an_incident(
        db_url,
        tl,
        violent["customer"],
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-3",
    )
    entry_id = registers.propose_pvp(
        actors["teamleader"],
        violent["customer"],
        consideration_id(uow, second_incident),
        "Second assault.",
        "",
        True,
        uow(),
    )
    registers.approve_pvp(actors["hsw"], entry_id, add_months(TODAY, 12), True, uow(), today=TODAY)
    with pytest.raises(PolicyError, match="already has a PVP entry"):
        registers.propose_pvp(actors["teamleader"], violent["customer"], None, "Again.", "", True, uow())
    review_day = add_months(TODAY, 11)
    registers.review_pvp(
        actors["hsw"],
        entry_id,
        review_day,
        "continue",
        "No incidents since.",
        uow(),
        next_review_due=add_months(review_day, 6),
        today=review_day,
    )
    with pytest.raises(PolicyError, match="no longer justified"):
        registers.review_pvp(
            actors["hsw"], entry_id, review_day, "lift", "Quiet year.", uow(), today=review_day
        )
    registers.remove_pvp(
        actors["hsw"],
        entry_id,
        review_day,
        "No violence for a year; risk assessed as low.",
        uow(),
        today=review_day,
    )
    ended = registers.pvp_register(actors["hsw"], uow(), "ended", today=review_day).rows
    assert ended[0].ended_reason == "No violence for a year; risk assessed as low."
    assert registers.red_flag_export(actors["hsw"], uow()) == []


def test_pvp_proposal_needs_violence_on_record(actors, uow, db_url, tl):
    customer = a_customer(db_url, tl, ref="NPH900020")
    an_incident(db_url, tl, customer)
    with pytest.raises(PolicyError, match="follows actual violence"):
        registers.propose_pvp(actors["teamleader"], customer, None, "Shouting.", "", True, uow())


def test_pvp_permissions_per_role(actors, uow, violent):
    for who in ("hsw", "dmo", "contractor", "admin"):
        with pytest.raises(PermissionDenied):
            propose({**actors, "teamleader": actors[who]}, uow, violent)
    entry_id = propose(actors, uow, violent)
    for who in ("teamleader", "dmo", "ad.housing", "contractor"):
        with pytest.raises(PermissionDenied):
            registers.approve_pvp(actors[who], entry_id, add_months(TODAY, 6), True, uow(), today=TODAY)
        with pytest.raises(PermissionDenied):
            registers.red_flag_export(actors[who], uow())
    with pytest.raises(PermissionDenied):
        registers.pvp_register(actors["contractor"], uow())


def test_red_flag_export_has_exactly_the_housing_system_columns(actors, uow, violent):
    entry_id = propose(actors, uow, violent)
    registers.approve_pvp(actors["hsw"], entry_id, add_months(TODAY, 12), True, uow(), today=TODAY)
    rows = registers.red_flag_export(actors["hsw"], uow())
    assert rows == [
        registers.RedFlagRow(
            housing_ref="NPH900010", flag_type="PVP", start_date=TODAY, review_date=add_months(TODAY, 12)
        )
    ]
    name, data, mime = registers.export_register(actors["hsw"], "red_flags", "xlsx", uow, today=TODAY)
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == ["housing_ref", "flag_type", "start_date", "review_date"]
    assert cells[1][:2] == ["NPH900010", "PVP"] and len(cells) == 2
    text = repr(cells)
    assert "pushed" not in text.lower() and "police" not in text.lower()
    name, data, mime = registers.export_register(actors["hsw"], "red_flags", "csv", uow, today=TODAY)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == [
        "housing_ref,flag_type,start_date,review_date",
        f"NPH900010,PVP,{TODAY.isoformat()},{add_months(TODAY, 12).isoformat()}",
    ]
    assert name == f"red_flags_{TODAY.isoformat()}.csv" and mime == "text/csv"


def test_exports_are_audited_with_who_what_and_when(actors, uow, formal):
    request_id = registers.request_spoc(
        actors["teamleader"], formal["case"], '=HYPERLINK("http://x")', formal["counting"], uow(), now=NOW
    )
    approve(actors, uow, request_id, terms="=cmd|' /C calc'!A0")
    name, data, _ = registers.export_register(actors["dmo"], "spoc_register", "csv", uow, today=TODAY)
    assert "'=cmd|' /C calc'!A0" in data.decode("utf-8-sig")
    with uow() as u:
        entry = u.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert entry.username == "dmo" and entry.entity_type == "spoc_register"
        assert entry.after["rows"] == 1 and entry.after["format"] == "csv" and entry.at is not None
    with pytest.raises(PermissionDenied):
        registers.export_register(actors["contractor"], "spoc_register", "csv", uow)
    with pytest.raises(PermissionDenied):
        registers.export_register(actors["dmo"], "red_flags", "csv", uow)


# --- volume: every list is one page, filtered, counted and limited in SQL (issue 18) -----------


@contextmanager
def rows_loaded():
    """Counts every row any ORM statement returns while the block runs."""
    counted = {"rows": 0, "statements": 0}

    def count(state):
        if not state.is_select:
            return None
        frozen = state.invoke_statement().freeze()
        counted["rows"] += len(frozen.data)
        counted["statements"] += 1
        return frozen()

    event.listen(Session, "do_orm_execute", count)
    try:
        yield counted
    finally:
        event.remove(Session, "do_orm_execute", count)


def bulk_registers(db_url, actors, first, count):
    """Test set-up only (the services are tested above): `count` customers each with a formal
    case, a pending SPOC request, a live SPOC, a violent incident with an open PVP consideration
    and a live PVP entry, inserted directly. Reviews fall on successive days from TODAY."""
    from core.db import UnitOfWork

    tl, dmo, hsw = actors["teamleader"], actors["dmo"], actors["hsw"]
    with UnitOfWork(db_url) as u:
        area = u.session.scalar(select(ServiceArea.id).where(ServiceArea.name == "Housing Management"))
        for i in range(first, first + count):
            c = Customer(
                housing_ref=f"BULK{i:05d}",
                first_name="Bulk",
                last_name=f"Person{i:05d}",
                service_area_id=area,
                search_text=f"bulk person{i:05d} bulk{i:05d}",
            )
            case = Case(customer=c, service_area_id=area, stage=Stage.FORMAL)
            u.session.add_all([c, case])
            u.session.flush()
            day = TODAY + dt.timedelta(days=i)
            u.session.add(
                SpocRequest(
                    case_id=case.id,
                    customer_id=c.id,
                    requested_by_id=tl.user_id,
                    reason="Bulk.",
                    requested_at=NOW + dt.timedelta(minutes=i),
                )
            )
            granted = SpocRequest(
                case_id=case.id,
                customer_id=c.id,
                requested_by_id=tl.user_id,
                reason="Bulk.",
                status=RegisterStatus.ACTIVE,
                decided_by_id=dmo.user_id,
            )
            u.session.add(granted)
            u.session.flush()
            u.session.add(
                SpocEntry(
                    request_id=granted.id,
                    customer_id=c.id,
                    case_id=case.id,
                    spoc_user_id=tl.user_id,
                    channels=["email"],
                    starts_on=TODAY,
                    review_due=day,
                )
            )
            incident = Incident(
                customer_id=c.id,
                case_id=case.id,
                service_area_id=area,
                occurred_at=NOW - dt.timedelta(hours=i),
                channel=Channel.PHONE,
                category=Category.AGGRESSIVE,
                description="Bulk.",
                violence_or_threat=True,
                evidence_source=EvidenceSource.FIRST_HAND,
                recorded_by_id=tl.user_id,
            )
            u.session.add(incident)
            u.session.flush()
            behaviour = Behaviour.PHYSICAL_VIOLENCE if i % 3 == 0 else Behaviour.THREATENING_LANGUAGE
            u.session.add(IncidentBehaviour(incident_id=incident.id, behaviour=behaviour))
            u.session.add(PvpConsideration(incident_id=incident.id, customer_id=c.id))
            u.session.add(
                PvpEntry(
                    customer_id=c.id,
                    proposed_by_id=tl.user_id,
                    approved_by_id=hsw.user_id,
                    reasons="Bulk.",
                    status=RegisterStatus.ACTIVE,
                    starts_on=TODAY,
                    review_due=day,
                )
            )
        u.commit()


LISTS = {
    "spoc_register": lambda a, uow, **kw: registers.spoc_register(
        a["dmo"], uow(), "active", today=TODAY, **kw
    ),
    "spoc_requests": lambda a, uow, **kw: registers.spoc_requests(a["dmo"], uow(), "pending", **kw),
    "pvp_register": lambda a, uow, **kw: registers.pvp_register(a["hsw"], uow(), "active", today=TODAY, **kw),
    "pvp_queue": lambda a, uow, **kw: registers.pvp_queue(a["hsw"], uow(), **kw),
    "spoc_request_cases": lambda a, uow, **kw: registers.spoc_request_cases(a["teamleader"], uow(), **kw),
    "red_flags": lambda a, uow, **kw: registers.red_flags(a["hsw"], uow(), **kw),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_each_register_list_is_one_page_with_the_total_and_loads_no_more_rows_as_it_grows(
    db_url, uow, actors, name
):
    fetch, loaded = LISTS[name], {}
    bulk_registers(db_url, actors, 0, 12)
    for total in (12, 40):
        if total == 40:
            bulk_registers(db_url, actors, 12, 28)
        with rows_loaded() as counted:
            page = fetch(actors, uow, limit=5)
        assert len(page.rows) == 5 and page.total == total and page.next_after is not None
        loaded[total] = counted["rows"]
    assert loaded[40] == loaded[12] <= 5 + 1 + 2 + 5 * 2  # a page (+1 to know of the next), counts, evidence


@pytest.mark.parametrize("name", list(LISTS))
def test_following_next_after_walks_every_row_once(db_url, uow, actors, name):
    bulk_registers(db_url, actors, 0, 13)
    fetch, seen, after, pages = LISTS[name], [], None, 0
    while True:
        page = fetch(actors, uow, limit=5, after=after)
        seen += page.rows
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == 3 and len(seen) == 13 and len(set(seen)) == 13


def test_registers_list_the_most_urgent_review_first_and_search_one_customer(db_url, uow, actors):
    bulk_registers(db_url, actors, 0, 8)
    spoc = registers.spoc_register(actors["dmo"], uow(), "active", today=TODAY, limit=3)
    assert [r.review_due for r in spoc.rows] == [TODAY + dt.timedelta(days=i) for i in range(3)]
    assert spoc.rows[0].review_state == "Review due in the next 30 days"
    overdue = registers.pvp_register(actors["hsw"], uow(), "overdue", today=TODAY + dt.timedelta(days=3))
    assert [r.housing_ref for r in overdue.rows] == [
        "BULK00000",
        "BULK00001",
        "BULK00002",
    ] and overdue.total == 3
    found = registers.pvp_register(actors["hsw"], uow(), "active", search="bulk00005", today=TODAY)
    assert [r.housing_ref for r in found.rows] == ["BULK00005"] and found.total == 1
    assert registers.spoc_request_cases(actors["teamleader"], uow(), search="Person00007").total == 1


def test_pvp_queue_puts_physical_violence_first_then_the_newest(db_url, uow, actors):
    bulk_registers(db_url, actors, 0, 7)  # 0, 3 and 6 are physical violence; 0 is the newest
    queue = registers.pvp_queue(actors["hsw"], uow()).rows
    assert [q.housing_ref[-1] for q in queue] == ["0", "3", "6", "1", "2", "4", "5"]
    assert [q.physical_violence for q in queue] == [True] * 3 + [False] * 4


def test_pvp_queue_pages_keep_the_order_across_the_most_serious_and_the_rest(db_url, uow, actors):
    bulk_registers(db_url, actors, 0, 7)  # 3 physical violence, 4 others: pages of 2 cross over
    whole = [q.consideration_id for q in registers.pvp_queue(actors["hsw"], uow()).rows]
    paged, after = [], None
    while True:
        page = registers.pvp_queue(actors["hsw"], uow(), limit=2, after=after)
        assert page.total == 7 and len(page.rows) <= 2
        paged += [q.consideration_id for q in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert paged == whole and len(whole) == 7
