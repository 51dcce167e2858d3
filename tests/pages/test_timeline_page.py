"""The Case timeline page: opened from ?customer_id=, filtered, hearsay marked, access logged."""
import datetime as dt

from sqlalchemy import func, select

from core.db import UnitOfWork
from core.models import AccessLog
from tests.pages.conftest import app_as
from tests.scenarios import NOW, a_customer, an_incident, demo_actors


def test_timeline_opens_from_the_address_with_hearsay_marked_and_the_view_logged(app_db):
    tl = demo_actors(app_db)["teamleader"]
    customer_id = a_customer(app_db, tl)
    now = NOW
    an_incident(app_db, tl, customer_id, when=now - dt.timedelta(days=3))
    an_incident(app_db, tl, customer_id, when=now - dt.timedelta(days=1), evidence_source="hearsay",
                description="A neighbour told the officer the customer kicked the door.")
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
        assert u.session.scalar(select(func.count()).select_from(AccessLog)
                                .where(AccessLog.what == "timeline", AccessLog.user_id == tl.user_id)) >= 1
    at.radio(key="tl_order").set_value("Oldest first").run()
    events = at.dataframe[len(at.dataframe) - 1].value
    assert events["Evidence"].iloc[1].startswith("Hearsay")
    at.multiselect(key="tl_kinds").set_value(["letter"]).run()
    assert any("Nothing recorded matches" in i.value for i in at.info)


def test_timeline_without_a_customer_asks_for_one(app_db):
    at = app_as("dmo", "pages/timeline.py")
    assert not at.exception
    assert any("Find a customer" in i.value for i in at.info)
