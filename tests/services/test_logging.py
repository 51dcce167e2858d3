"""Server-side logging (issue 12, item 5): refusals are logged at debug level and unexpected
errors with a reference, and no log line carries personal data (ids only)."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest

from core.db import UnitOfWork
from core.errors import PolicyError
from core.logging_config import IdsFormatter, configure_logging, describe_exception
from core.models import Customer
from core.services.customers import CustomerDetails, create_customer, get_customer
from core.services.incidents import NewIncident, amend_incident, log_incident
from tests.scenarios import NOW, area_id
from ui.errors import CALM_MESSAGE, log_unexpected, run_page_safely

NAME = ("Zebedee", "Quuxworthy-Fandango")
REF = "NPH314159"
ADDRESS = "7 Marmalade Mews"
DESCRIPTION = "Mr Quuxworthy-Fandango pushed the letterbox flap shut on the officer's fingers."
CORRECTION = "The officer was Ms Pennywhistle, not the caretaker."
PERSONAL = [*NAME, REF, ADDRESS, DESCRIPTION, CORRECTION, "Quuxworthy", "Pennywhistle", "Marmalade"]


def personal_data_in(records: list[logging.LogRecord]) -> list[str]:
    """Every record rendered as a log line would be (message, ids, any exception text)."""
    formatter = IdsFormatter()
    lines = [formatter.format(r) + "\n" + repr(vars(r)) for r in records]
    return [f"{word!r} in {line[:300]!r}" for line in lines for word in PERSONAL if word in line]


@pytest.fixture
def debug_logs(caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    yield caplog
    configure_logging("INFO")


def customer_details(url: str) -> CustomerDetails:
    return CustomerDetails(
        first_name=NAME[0],
        last_name=NAME[1],
        housing_ref=REF,
        address_line1=ADDRESS,
        town="Northampton",
        postcode="NN1 1AA",
        service_area_id=area_id(url),
    )


def test_a_scenario_with_a_distinctive_customer_leaves_no_personal_data_in_the_logs(
    db_url, actors, debug_logs
):
    leader = actors["teamleader"]
    customer_id = create_customer(leader, customer_details(db_url), UnitOfWork(db_url))
    incident = NewIncident(
        customer_id=customer_id,
        occurred_at=NOW,
        channel="in_person",
        category="aggressive",
        behaviours=["threatening_language"],
        description=DESCRIPTION,
        evidence_source="first_hand",
        wording_checked=True,
    )
    incident_id = log_incident(leader, incident, UnitOfWork(db_url), now=NOW)
    amend_incident(
        leader,
        incident_id,
        dataclasses.replace(incident, staff_affected="Ms Pennywhistle"),
        CORRECTION,
        UnitOfWork(db_url),
        now=NOW,
    )

    # Refused: the same housing reference again (the refusal's message quotes it), and a
    # contractor asking for the customer's record.
    with pytest.raises(PolicyError, match=REF):
        create_customer(leader, customer_details(db_url), UnitOfWork(db_url))
    with pytest.raises(PolicyError):
        get_customer(actors["contractor"], customer_id, UnitOfWork(db_url))

    # Unexpected: a database error whose message carries the row's values as SQL parameters,
    # and an exception whose message quotes the name.
    def broken_page() -> None:
        with UnitOfWork(db_url) as uow:
            uow.session.add(
                Customer(
                    first_name=NAME[0],
                    last_name=NAME[1],
                    housing_ref=REF,
                    address_line1=ADDRESS,
                    search_text=" ".join(NAME),
                )
            )
            uow.session.flush()

    def another_broken_page() -> None:
        raise RuntimeError(f"cannot render {' '.join(NAME)} at {ADDRESS}")

    assert run_page_safely(broken_page) is False
    assert run_page_safely(another_broken_page) is False

    refusals = [r for r in debug_logs.records if getattr(r, "refusal", None)]
    assert [(r.levelno, r.refusal, r.service) for r in refusals] == [
        (logging.DEBUG, "PolicyError", "core.services.customers.create_customer"),
        (logging.DEBUG, "PermissionDenied", "core.services.customers.get_customer"),
    ]
    assert {r.actor_id for r in refusals} == {leader.user_id, actors["contractor"].user_id}
    errors = [r for r in debug_logs.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(re.fullmatch(r"[0-9A-F]{6}", r.reference) for r in errors)
    assert "IntegrityError (message withheld)" in errors[0].getMessage()
    assert "INSERT INTO customer" in errors[0].getMessage()  # the statement, without parameters
    assert "RuntimeError (message withheld)" in errors[1].getMessage()
    assert personal_data_in(debug_logs.records) == []


def test_describe_exception_keeps_the_chain_and_the_frames_but_not_the_messages():
    first, last = NAME  # names come from data, never from the source lines a traceback shows

    def inner() -> None:
        raise KeyError(first)

    try:
        try:
            inner()
        except KeyError as key:
            raise ValueError(f"no customer called {last}") from key
    except ValueError as error:
        text = describe_exception(error)
    assert text.index("builtins.KeyError") < text.index("builtins.ValueError")
    assert "in inner" in text and "raise KeyError(first)" in text
    assert first not in text and last not in text


def test_an_unexpected_error_in_a_page_shows_a_calm_message_with_the_logged_reference(caplog):
    from streamlit.testing.v1 import AppTest

    def script() -> None:
        import streamlit as st

        from ui.errors import run_page_safely

        def page() -> None:
            st.write("before")
            raise ZeroDivisionError("Zeb" + "edee")  # joined at run time: not in the source line

        run_page_safely(page)
        st.write("app goes on")

    caplog.set_level(logging.INFO)
    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    [shown] = [e.value for e in at.error]
    reference = re.fullmatch(CALM_MESSAGE.format(reference="([0-9A-F]{6})").replace(".", r"\."), shown)
    assert reference, shown
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "ui.errors"]
    assert logged.reference == reference.group(1)
    assert "ZeroDivisionError" in logged.getMessage() and "Zebedee" not in logged.getMessage()
    assert [m.value for m in at.markdown] == ["before", "app goes on"]


def test_streamlit_control_flow_is_not_an_error(caplog):
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    for control in (StopException(), RerunException(None)):

        def page(control=control) -> None:
            raise control

        with pytest.raises(type(control)):
            run_page_safely(page)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_each_reference_is_new(caplog):
    references = {log_unexpected(RuntimeError("x")) for _ in range(20)}
    assert len(references) == 20 and all(re.fullmatch(r"[0-9A-F]{6}", r) for r in references)


def test_a_bad_log_level_falls_back_to_info_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("FT_LOG_LEVEL", "chatty")
    configure_logging()
    assert logging.getLogger("core").level == logging.INFO
    assert "FT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR" in caplog.text
    monkeypatch.setenv("FT_LOG_LEVEL", "debug")
    configure_logging()
    assert logging.getLogger("core.services").getEffectiveLevel() == logging.DEBUG
    configure_logging("INFO")
