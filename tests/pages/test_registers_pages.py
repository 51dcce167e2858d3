"""The register pages per role (AppTest): the DMO approves a SPOC, the H&S Well-being Officer
approves a PVP entry, and a contractor sees an arrangement without its reasons."""

import datetime as dt

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.models import DisclosureLog, PvpConsideration, PvpEntry, SpocEntry
from core.policy.deadlines import add_months
from core.services import registers
from tests.pages.conftest import app_as
from tests.scenarios import NOW, an_incident, demo_actors
from tests.services.test_registers import a_formal_case

TODAY = dt.date.today()
REASON = "Contacted seven teams a day demanding the same repair."
PVP_REASONS = "Pushed a repairs operative at the door; police referred."


def uow_factory(url):
    return lambda: UnitOfWork(url)


def a_spoc_request(url, actors):
    case = a_formal_case(url, uow_factory(url), actors["teamleader"])
    request_id = registers.request_spoc(
        actors["teamleader"], case["case"], REASON, case["counting"], UnitOfWork(url), now=NOW
    )
    return case, request_id


def a_pvp_proposal(url, actors, customer):
    incident = an_incident(
        url,
        actors["teamleader"],
        customer,
        behaviours=["physical_violence"],
        violence_or_threat=True,
        police_reference="NP-1",
        description="The customer pushed the repairs operative at the door.",
    )
    with UnitOfWork(url) as u:
        consideration = u.session.scalar(
            select(PvpConsideration.id).where(PvpConsideration.incident_id == incident)
        )
    return registers.propose_pvp(
        actors["teamleader"],
        customer,
        consideration,
        PVP_REASONS,
        "Meet at the area office only.",
        True,
        UnitOfWork(url),
    )


def all_text(at) -> str:
    parts = []
    for kind in ("markdown", "text", "error", "warning", "info", "success", "caption", "subheader", "header"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


def test_dmo_records_the_meeting_and_approves_a_spoc(app_db):
    actors = demo_actors(app_db)
    case, request_id = a_spoc_request(app_db, actors)
    at = app_as("dmo", "pages/spoc_register.py")
    assert not at.exception
    assert REASON in all_text(at)  # the DMO sees the request's reason
    at.text_area(key="spoc_attendees").input("DMO; team leader; housing officer")
    at.text_area(key="spoc_discussion").input("Reviewed the incident log.")
    at.text_area(key="spoc_decision_reason").input("Repeated contact across teams.")
    at.multiselect(key="spoc_channels").select(at.multiselect(key="spoc_channels").options[3])
    at.text_input(key="spoc_contact_times").input("Mon-Fri 10:00-12:00")
    at.button(key="FormSubmitter:spoc_decision-Record the meeting and decision").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [] or all("overdue" not in e.value for e in at.error)
    assert any("added to the register" in s.value for s in at.success)
    with UnitOfWork(app_db) as u:
        entry = u.session.scalars(select(SpocEntry)).one()
        assert entry.request_id == request_id and entry.channels == ["email"]
        assert entry.review_due == add_months(TODAY, 6)
    assert "Mon-Fri 10:00-12:00" in all_text(at)  # now on the register


def test_dmo_sees_a_refusal_for_an_incomplete_meeting_record(app_db):
    actors = demo_actors(app_db)
    a_spoc_request(app_db, actors)
    at = app_as("dmo", "pages/spoc_register.py")
    at.button(key="FormSubmitter:spoc_decision-Record the meeting and decision").click().run()
    assert not at.exception
    assert any("Record who attended" in e.value for e in at.error)
    with UnitOfWork(app_db) as u:
        assert u.session.scalar(select(func.count()).select_from(SpocEntry)) == 0


def test_team_leader_sees_no_dmo_decision_form(app_db):
    actors = demo_actors(app_db)
    a_spoc_request(app_db, actors)
    at = app_as("teamleader", "pages/spoc_register.py")
    assert not at.exception
    assert "spoc_attendees" not in [t.key for t in at.text_area]
    assert "spoc_request_reason" in [t.key for t in at.text_area]


def test_hsw_approves_a_pvp_entry_and_it_joins_the_red_flag_list(app_db):
    actors = demo_actors(app_db)
    case = a_formal_case(app_db, uow_factory(app_db), actors["teamleader"])
    entry_id = a_pvp_proposal(app_db, actors, case["customer"])
    at = app_as("hsw", "pages/pvp_register.py")
    assert not at.exception
    assert PVP_REASONS in all_text(at)
    at.button(key="FormSubmitter:pvp_approve-Approve: the entry goes live").click().run()
    assert not at.exception
    assert any("approved" in s.value for s in at.success)
    with UnitOfWork(app_db) as u:
        entry = u.session.get(PvpEntry, entry_id)
        assert entry.status.value == "active" and entry.customer_notified_on == TODAY
        assert entry.review_due == add_months(TODAY, 12)
    frames = [f.value for f in at.dataframe]
    flags = [
        f for f in frames if list(f.columns) == ["housing_ref", "flag_type", "start_date", "review_date"]
    ]
    assert flags and flags[0]["housing_ref"].tolist() == ["NPH900001"]
    assert {b.label for b in at.get("download_button")} >= {
        "Download red flags (CSV)",
        "Download red flags (Excel)",
    }


def test_hsw_not_notifying_without_a_reason_is_refused_on_the_page(app_db):
    actors = demo_actors(app_db)
    case = a_formal_case(app_db, uow_factory(app_db), actors["teamleader"])
    entry_id = a_pvp_proposal(app_db, actors, case["customer"])
    at = app_as("hsw", "pages/pvp_register.py")
    at.radio(key="pvp_notice").set_value(at.radio(key="pvp_notice").options[1])
    at.button(key="FormSubmitter:pvp_approve-Approve: the entry goes live").click().run()
    assert any("would itself create a risk" in e.value for e in at.error)
    with UnitOfWork(app_db) as u:
        assert u.session.get(PvpEntry, entry_id).status.value == "pending"


def test_contractor_sees_the_arrangement_without_reasons_and_is_logged(app_db):
    actors = demo_actors(app_db)
    case, request_id = a_spoc_request(app_db, actors)
    registers.record_spoc_meeting_and_decide(
        actors["dmo"],
        request_id,
        registers.SpocMeeting(
            TODAY,
            "DMO; team leader",
            "Reviewed the incident log.",
            True,
            "Repeated contact across teams.",
            spoc_user_id=actors["teamleader"].user_id,
            channels=["email"],
            contact_times="Mon-Fri 10:00-12:00",
            starts_on=TODAY,
            review_due=add_months(TODAY, 6),
        ),
        UnitOfWork(app_db),
    )
    entry_id = a_pvp_proposal(app_db, actors, case["customer"])
    registers.approve_pvp(actors["hsw"], entry_id, add_months(TODAY, 12), True, UnitOfWork(app_db))

    at = app_as("contractor", "pages/arrangements.py")
    assert not at.exception
    at.text_input(key="arrangements_query").input("NPH900001")
    at.button(key="FormSubmitter:arrangements_search-Search").click().run()
    at.button(key="arrangements_show").click().run()
    assert not at.exception
    text = all_text(at).replace("\\", "")
    assert actors["teamleader"].name in text and "Mon-Fri 10:00-12:00" in text
    assert "Two officers on all visits" in text and "Red flag" in text
    for secret in (
        REASON,
        PVP_REASONS,
        "Repeated contact across teams",
        "pushed",
        "shouted",
        "Aggressive or abusive",
        "NP-1",
        "Reviewed the incident log",
    ):
        assert secret.lower() not in text.lower(), secret
    assert "Disclosure log" not in text
    with UnitOfWork(app_db) as u:
        # issue 14 item 11: the search that showed the customer's name and address is logged,
        # and so is the look-up of their arrangements
        assert u.session.scalar(select(func.count()).select_from(DisclosureLog)) == 2

    dmo = app_as("dmo", "pages/arrangements.py")
    assert not dmo.exception
    log = [f.value for f in dmo.dataframe][-1]
    assert log["viewer"].tolist() == ["contractor", "contractor"]


def test_the_registers_show_a_page_at_a_time_with_a_next_button(app_db):
    from tests.services.test_registers import bulk_registers

    actors = demo_actors(app_db)
    bulk_registers(app_db, actors, 0, 60)
    at = app_as("dmo", "pages/spoc_register.py")
    assert not at.exception
    register = at.dataframe[0].value
    assert len(register) == 50 and register["Review"].tolist()[0] == "Review overdue"  # most urgent first
    assert any("Showing 1–50 of 60 SPOC entries" in c.value for c in at.caption)
    assert len(at.selectbox(key="spoc_decide_request").options) == 50  # one page, not every request
    at.button(key="spoc_register_next").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 10
    assert any("Showing 51–60 of 60 SPOC entries" in c.value for c in at.caption)

    hsw = app_as("hsw", "pages/pvp_register.py")
    assert not hsw.exception
    assert len(hsw.selectbox(key="pvp_close_consideration").options) == 50
    queue = hsw.dataframe[0].value
    assert queue["Physical violence"].tolist()[:20] == ["Yes"] * 20  # the most serious first
    assert any("Showing 1–50 of 60 considerations waiting" in c.value for c in hsw.caption)
