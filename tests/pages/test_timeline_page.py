"""The Case timeline page: opened from ?customer_id=, filtered, hearsay marked, access logged."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import Stage
from core.models import AccessLog, Case
from tests.pages.conftest import app_as
from tests.scenarios import NOW, a_customer, an_incident, demo_actors


def test_timeline_opens_from_the_address_with_hearsay_marked_and_the_view_logged(app_db):
    tl = demo_actors(app_db)["teamleader"]
    customer_id = a_customer(app_db, tl)
    now = NOW
    an_incident(app_db, tl, customer_id, when=now - dt.timedelta(days=3))
    an_incident(
        app_db,
        tl,
        customer_id,
        when=now - dt.timedelta(days=1),
        evidence_source="hearsay",
        description="A neighbour told the officer the customer kicked the door.",
    )
    at = app_as("teamleader")
    at.query_params["customer_id"] = str(customer_id)
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    events = at.dataframe[len(at.dataframe) - 1].value
    assert list(events["Type"]) == ["Incident", "Incident"]
    assert events["Evidence"].iloc[0].startswith("Hearsay or opinion: not evidence")
    assert events["Evidence"].iloc[1] == ""
    assert [m.value for m in at.metric][:1] == ["No stage yet"]
    with UnitOfWork(app_db) as u:
        assert (
            u.session.scalar(
                select(func.count())
                .select_from(AccessLog)
                .where(AccessLog.what == "timeline", AccessLog.user_id == tl.user_id)
            )
            >= 1
        )
    at.radio(key="tl_order").set_value("Oldest first").run()
    events = at.dataframe[len(at.dataframe) - 1].value
    assert events["Evidence"].iloc[1].startswith("Hearsay")
    at.multiselect(key="tl_kinds").set_value(["letter"]).run()
    assert any("Nothing recorded matches" in i.value for i in at.info)


def test_timeline_without_a_customer_asks_for_one(app_db):
    at = app_as("dmo", "pages/timeline.py")
    assert not at.exception
    assert any("Find a customer" in i.value for i in at.info)


@pytest.mark.parametrize("username", ["teamleader", "dmo", "hsw", "ad.housing"])
def test_the_three_pages_render_on_demo_data_for_each_role(demo_app_db, username):
    with UnitOfWork(demo_app_db) as u:
        customer_id, stage = u.session.execute(
            select(Case.customer_id, Case.stage)
            .where(Case.stage.in_([Stage.FORMAL, Stage.WARNING, Stage.INFORMAL]))
            .order_by(Case.stage.desc(), Case.id)
            .limit(1)
        ).one()
    at = app_as(username)
    at.session_state["customer_id"] = customer_id
    pages = ["pages/customers.py", "pages/timeline.py"] + (
        ["pages/incident.py"] if username == "teamleader" else []
    )
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
    at.switch_page("pages/timeline.py").run()
    events = at.dataframe[len(at.dataframe) - 1].value
    assert {"Incident", "Stage change"} <= set(events["Type"])
    assert [m.value for m in at.metric][0] == stage.label


def test_a_long_timeline_shows_one_page_and_a_show_older_button(app_db):
    from core.enums import Category, Channel, EvidenceSource
    from core.models import Incident
    from core.services.timeline import PAGE_SIZE

    tl = demo_actors(app_db)["teamleader"]
    customer_id = a_customer(app_db, tl)
    an_incident(
        app_db, tl, customer_id, when=NOW - dt.timedelta(days=400), description="The very first call."
    )
    with UnitOfWork(app_db) as u:
        case = u.session.scalar(select(Case).where(Case.customer_id == customer_id))
        u.session.add_all(
            [
                Incident(
                    customer_id=customer_id,
                    case_id=case.id,
                    service_area_id=case.service_area_id,
                    occurred_at=NOW - dt.timedelta(hours=i + 1),
                    channel=Channel.PHONE,
                    category=Category.AGGRESSIVE,
                    description=f"Call {i}",
                    evidence_source=EvidenceSource.FIRST_HAND,
                    recorded_by_id=tl.user_id,
                )
                for i in range(PAGE_SIZE + 10)
            ]
        )
        u.commit()
    at = app_as("teamleader")
    at.session_state["customer_id"] = customer_id
    at.switch_page("pages/timeline.py").run()
    assert not at.exception
    events = at.dataframe[len(at.dataframe) - 1].value
    assert len(events) == PAGE_SIZE and "Call 0" in events["Details"].iloc[0]
    at.button(key="tl_next").click().run()
    assert not at.exception
    events = at.dataframe[len(at.dataframe) - 1].value
    assert len(events) == 11 and "The very first call." in events["Details"].iloc[-1]
    assert not [b for b in at.button if b.key == "tl_next"]
