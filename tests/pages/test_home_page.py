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
