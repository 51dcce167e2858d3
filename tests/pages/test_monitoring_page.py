"""The monitoring page (issue 7) with AppTest: the tiles show the service's figures, a new
incident appears on the next run, drill-down lists the cases, the report downloads."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.db import UnitOfWork
from core.services import monitoring
from core.services.incidents import NewIncident, log_incident
from tests.pages.conftest import app_as
from tests.scenarios import a_customer, demo_actors

PAGE = "pages/monitoring.py"


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected(url: str) -> dict:
    leader = demo_actors(url)["teamleader"]
    return monitoring.dashboard(leader, monitoring.default_filters(dt.date.today()), UnitOfWork(url))["kpis"]


def test_tiles_show_the_figures(demo_app_db):
    st.cache_data.clear()
    at = app_as("teamleader", PAGE)
    assert not at.exception
    k = expected(demo_app_db)
    shown = tiles(at)
    assert shown["Incidents in the period"] == str(k["incidents"])
    assert shown["Open cases: warning stage"] == str(k["open_cases_by_stage"]["warning"])
    assert shown["Reviews overdue"] == str(k["reviews_overdue"])
    assert shown["Appeals overdue"] == str(k["appeals_overdue"])
    assert shown["PVP entries due for review"] == str(k["pvp_due_for_review"])
    assert k["incidents"] > 0 and len(at.get("vega_lite_chart")) == 6
    at.toggle(key="by_area").set_value(True).run()  # the four by-service-area charts on request
    assert not at.exception and len(at.get("vega_lite_chart")) == 10


def test_a_new_incident_shows_on_the_next_run(demo_app_db):
    st.cache_data.clear()
    at = app_as("teamleader", PAGE)
    before = int(tiles(at)["Incidents in the period"])
    leader = demo_actors(demo_app_db)["teamleader"]
    customer = a_customer(demo_app_db, leader, ref="NPH990001")
    log_incident(
        leader,
        NewIncident(
            customer_id=customer,
            occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2),
            channel="email",
            category="unreasonable_demands",
            behaviours=["contact_overload"],
            description="Thirty emails in one morning demanding an immediate reply.",
            evidence_source="first_hand",
        ),
        UnitOfWork(demo_app_db),
    )
    # Nothing is cleared: the write moved the database's data version on, which keys the cache.
    at.switch_page(PAGE).run()
    assert not at.exception
    assert int(tiles(at)["Incidents in the period"]) == before + 1


def test_filters_change_the_tiles(demo_app_db):
    st.cache_data.clear()
    at = app_as("teamleader", PAGE)
    at.selectbox[1].select("Unreasonable demands").run()
    leader = demo_actors(demo_app_db)["teamleader"]
    k = monitoring.dashboard(
        leader,
        monitoring.default_filters(dt.date.today(), category="unreasonable_demands"),
        UnitOfWork(demo_app_db),
    )["kpis"]
    assert tiles(at)["Incidents in the period"] == str(k["incidents"])


def test_choosing_a_figure_lists_its_cases_and_the_report_downloads(demo_app_db):
    st.cache_data.clear()
    at = app_as("teamleader", PAGE)
    at.selectbox[2].select("Open at stage: Informal stage").run()
    assert not at.exception
    leader = demo_actors(demo_app_db)["teamleader"]
    found = monitoring.drill_down(
        leader, monitoring.default_filters(dt.date.today()), "stage", "informal", UnitOfWork(demo_app_db)
    )
    assert found["total"] > 0
    assert at.caption[-1].value.startswith(f"{found['total']} case(s)")
    assert len(at.dataframe[0].value) == len(found["rows"])
    at.button[0].click().run()
    assert not at.exception
    assert at.get("download_button")[0].proto.label.startswith("Download governance-report-")


def _read_then_cached_again():
    import uuid

    import streamlit as st

    from core.errors import PolicyError
    from ui.session import attempt, data_changed

    @st.cache_data
    def stamp() -> str:
        return uuid.uuid4().hex

    first = stamp()
    attempt(lambda: 42)  # a read through the page helper

    def refused():
        raise PolicyError("no")

    attempt(refused)  # a refusal
    data_changed()  # what pages call after a write
    st.write(f"kept={first == stamp()}")


def test_a_read_through_the_page_helpers_leaves_the_cache_alone():
    """Issue 18 item 3: attempt() used to clear st.cache_data for every user after any call."""
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_function(_read_then_cached_again).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["kept=True"]


def test_a_write_moves_the_data_version_on_and_a_sign_in_does_not(demo_app_db):
    from core.auth import record_login_attempt

    leader = demo_actors(demo_app_db)["teamleader"]
    before = monitoring.data_version(leader, UnitOfWork(demo_app_db))
    record_login_attempt("teamleader", True, UnitOfWork(demo_app_db))
    record_login_attempt("teamleader", False, UnitOfWork(demo_app_db))
    assert monitoring.data_version(leader, UnitOfWork(demo_app_db)) == before
    a_customer(demo_app_db, leader, ref="NPH990002")
    assert monitoring.data_version(leader, UnitOfWork(demo_app_db)) > before
