"""The "My work" home page (issue 15): each role lands on it after signing in and sees its own
work with the right counts; the navigation badge carries the same total."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pages.conftest import app_as
from tests.work_seed import seed_work


def _links(at) -> list[tuple[str, str]]:
    """(label, page) of every st.page_link on the screen."""
    return [(el.proto.label, el.proto.page) for el in at.get("page_link")]


def _metrics(at) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric}


@pytest.fixture
def seeded(app_db):
    return seed_work(app_db, dt.date.today())


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("teamleader", {"Appeals on my cases waiting for a decision": 1, "Cases that need a new owner": 1}),
        (
            "ad.housing",
            {
                "Appeals waiting for my decision (5 working days)": 1,
                "Cases in my area at the formal stage": 1,
                "Cases that need a new owner": 1,
            },
        ),
        (
            "dmo",
            {
                "Data requests (due one month after receipt)": 1,
                "SPOC requests waiting for a review meeting": 1,
            },
        ),
        (
            "hsw",
            {
                "PVP reviews due (next 30 days or overdue)": 1,
                "PVP considerations waiting (newest and most serious first)": 1,
            },
        ),
        ("admin", {"Users without a service area": 1, "Service areas without an Assistant Director": 1}),
    ],
)
def test_each_role_lands_on_its_home_page_with_its_work_counted(seeded, username, expected):
    at = app_as(username)
    assert not at.exception
    assert at.header[0].value == "My work"
    assert _metrics(at) == expected
    assert len(_links(at)) == sum(expected.values())


def test_the_overdue_appeal_links_to_the_appeals_page_and_says_how_late_it_is(seeded):
    at = app_as("ad.housing")
    labels = {label: page for label, page in _links(at)}
    appeal = next(label for label in labels if label.startswith(f"Appeal {seeded.appeal_id} · NPH700001"))
    assert "overdue" in appeal
    assert labels[appeal].endswith("appeals")
    assert "Kowalski" not in " ".join(labels)  # housing reference, never the name


def test_the_case_link_carries_the_case_in_its_query(seeded):
    at = app_as("teamleader")
    link = next(
        el for el in at.get("page_link") if el.proto.label.startswith(f"Case {seeded.orphan_case_id} ")
    )
    assert "case_owner" in link.proto.page
    assert f"case_id={seeded.orphan_case_id}" in link.proto.query_string


def test_the_navigation_badge_shows_the_same_total(seeded):
    at = app_as("hsw")
    assert at.session_state["work_badge"][1] == 2


def test_nothing_to_do_says_so(app_db):
    at = app_as("dmo")
    assert not at.exception
    assert "Nothing is waiting for you" in at.success[0].value


def test_the_outbox_page_shows_the_queued_digests_to_an_administrator(seeded, app_db):
    from core import reminders

    reminders.queue_digests(app_db, dt.date.today())
    at = app_as("admin", "pages/outbox.py")
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 5 and set(frame["Status"]) == {"pending"}
    assert "Fair Treatment:" in at.text[0].value or "things to do" in at.text[0].value


def test_a_manager_gives_a_disabled_owners_case_a_new_owner(seeded):
    at = app_as("teamleader")
    at.query_params["case_id"] = str(seeded.orphan_case_id)
    at.switch_page("pages/case_owner.py").run()
    assert not at.exception
    assert any("needs a new owner" in m.value for m in at.markdown)
    at.text_area[0].input("The former leader has left.")
    at.button[0].click().run()
    assert [s.value for s in at.success] == [
        "The owner was changed and the change recorded in the audit log."
    ]
    home = app_as("ad.housing")
    assert "Cases that need a new owner" not in {m.label for m in home.metric}
