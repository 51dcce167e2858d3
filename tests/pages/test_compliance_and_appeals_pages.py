"""Compliance and appeals pages (AppTest)."""

import datetime as dt

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import Stage
from core.models import Case, Incident
from core.services import cases
from tests.pages.conftest import app_as
from tests.pages.test_case_actions_page import incident_now, labelled, texts
from tests.scenarios import a_customer, area_id, demo_actors


def a_warned_case(url, actors):
    tl = actors["teamleader"]
    customer_id = a_customer(url, tl)
    first = incident_now(url, tl, customer_id, days_ago=40)
    with UnitOfWork(url) as u:
        case_id = u.session.get(Incident, first).case_id
    today = dt.date.today()
    version = lambda: cases.case_overview(tl, case_id, UnitOfWork(url)).version  # noqa: E731
    informal = cases.record_informal_stage(
        tl,
        case_id,
        cases.InformalDetails(
            summary="Spoke to the customer.",
            contact_made=True,
            behaviour_set_out=True,
            expectations_stated=True,
            consequences_stated=True,
            root_cause_looked_for=True,
            third_party_offered=True,
            decided_on=today - dt.timedelta(days=35),
        ),
        version(),
        UnitOfWork(url),
    )
    incident_now(url, tl, customer_id, days_ago=20)
    warning = cases.issue_warning(
        tl,
        case_id,
        cases.WarningDecision(
            reason="Further emails.",
            review_due=today - dt.timedelta(days=2),
            underlying_issues_considered=True,
            underlying_issues_notes="None recorded.",
            decided_on=today - dt.timedelta(days=15),
        ),
        version(),
        UnitOfWork(url),
    )
    return customer_id, case_id, informal, warning, version


def test_compliance_page_lists_failing_cases_and_filters_by_area(app_db):
    actors = demo_actors(app_db)
    a_warned_case(app_db, actors)
    at = app_as("teamleader", "pages/compliance.py")
    assert not at.exception
    assert labelled(at.metric, "Open cases").value == "1"
    frame = at.dataframe[0].value
    assert "Warning review" in frame["Overdue"].iloc[0]
    assert "appeal" in frame["Principles missing"].iloc[0]
    labelled(at.selectbox, "Service area").set_value(area_id(app_db, "Repairs and Maintenance")).run()
    assert labelled(at.metric, "Open cases").value == "0"
    labelled(at.selectbox, "Sort by").set_value("Customer").run()
    assert not at.exception


def test_ad_decides_an_appeal_assigned_to_them(app_db):
    actors = demo_actors(app_db)
    _, case_id, _, warning, version = a_warned_case(app_db, actors)
    cases.record_appeal(
        actors["teamleader"],
        case_id,
        "stage_event",
        warning,
        dt.date.today(),
        "The emails were about a real repair.",
        version(),
        UnitOfWork(app_db),
    )
    other = app_as("ad.repairs", "pages/appeals.py")
    assert any("No appeals are waiting" in i for i in texts(other.info))
    at = app_as("ad.housing", "pages/appeals.py")
    assert not at.exception
    assert at.dataframe[0].value["Against"].iloc[0].startswith("Warning stage decision")
    labelled(at.selectbox, "Outcome").set_value("overturned")
    labelled(at.text_area, "Reasons").input("The repair delay explains the contact.")
    labelled(at.button, "Record the decision").click().run()
    assert not at.exception
    assert any("Overturned" in s for s in texts(at.success))
    assert cases.case_overview(actors["teamleader"], case_id, UnitOfWork(app_db)).stage == "informal"


def test_pages_work_on_the_demo_data(demo_app_db):
    at = app_as("teamleader", "pages/compliance.py")
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) >= 1 and frame["Most days overdue"].is_monotonic_decreasing
    with UnitOfWork(demo_app_db) as u:
        case = u.session.scalars(select(Case).where(Case.stage != Stage.CLOSED).order_by(Case.stage)).first()
        customer_id, label = case.customer_id, case.stage.label
    at = app_as("teamleader")
    at.session_state["customer_id"] = customer_id
    at.switch_page("pages/case_actions.py")
    at.run()
    assert not at.exception
    assert labelled(at.metric, "Stage").value == label
    assert not app_as("ad.housing", "pages/appeals.py").exception


def open_cases_in_bulk(url, actors, n):
    """`n` open cases at the informal stage with no letter sent (each fails "appeal offered")."""
    from sqlalchemy import insert

    from core.models import Customer, StageEvent

    leader = actors["teamleader"].user_id
    area = area_id(url)
    with UnitOfWork(url) as u:
        u.session.execute(
            insert(Customer),
            [
                {
                    "id": 5000 + i,
                    "housing_ref": f"BULK{i:04d}",
                    "first_name": "Bulk",
                    "last_name": f"Case{i:04d}",
                }
                for i in range(n)
            ],
        )
        u.session.execute(
            insert(Case),
            [
                {"id": 5000 + i, "customer_id": 5000 + i, "service_area_id": area, "stage": Stage.INFORMAL}
                for i in range(n)
            ],
        )
        u.session.execute(
            insert(StageEvent),
            [
                {
                    "case_id": 5000 + i,
                    "from_stage": Stage.NONE,
                    "to_stage": Stage.INFORMAL,
                    "decided_on": dt.date.today(),
                    "decided_by_id": leader,
                }
                for i in range(n)
            ],
        )
        u.commit()


def test_compliance_page_pages_through_the_open_cases(app_db):
    open_cases_in_bulk(app_db, demo_actors(app_db), 60)
    at = app_as("teamleader", "pages/compliance.py")
    assert not at.exception
    assert labelled(at.metric, "Open cases").value == "60"
    assert len(at.dataframe[0].value) == 50
    labelled(at.button, "Next page").click().run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["Case"]) == list(range(5050, 5060))
    assert not [b for b in at.button if b.label == "Next page"]
    labelled(at.button, "Previous page").click().run()
    assert len(at.dataframe[0].value) == 50


def test_an_assistant_director_logs_an_appeal_received_directly(app_db):
    """Issue 13 item 3: an AD (or the DMO) who receives an appeal logs it on the Appeals page."""
    from core.models import Appeal

    actors = demo_actors(app_db)
    customer_id, case_id, _, warning, _ = a_warned_case(app_db, actors)
    at = app_as("ad.customer")
    at.session_state["customer_id"] = customer_id
    at.switch_page("pages/appeals.py")
    at.run()
    assert not at.exception
    subject = labelled(at.selectbox, "Appeal against")
    assert any(o.startswith("Warning stage decision") for o in subject.options)
    subject.set_value(f"stage_event:{warning}").run()
    labelled(at.text_area, "Grounds of appeal").input("The emails were about a real repair.")
    labelled(at.button, "Record the appeal").click().run()
    assert not at.exception, at.exception
    assert any("Appeal logged" in s for s in texts(at.success)), texts(at.error)
    with UnitOfWork(app_db) as u:
        appeal = u.session.scalars(select(Appeal)).one()
        assert (appeal.subject_id, appeal.recorded_by_id) == (warning, actors["ad.customer"].user_id)
        assert appeal.decision_maker_id == actors["ad.housing"].user_id


def test_the_dmo_can_open_the_appeals_page_to_log_an_appeal(app_db):
    at = app_as("dmo", "pages/appeals.py")
    assert not at.exception
    assert [e for e in at.expander if "Log an appeal received" in e.label]
    assert not [b for b in at.button if b.label == "Record the decision"]
