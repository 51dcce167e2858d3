"""Create customer, log incident, open case: on SQLite and PostgreSQL, audited, role-checked."""

import pytest
from sqlalchemy import func, select, text

from core.enums import Stage
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Case, Customer, Incident
from core.services.customers import search_customers
from tests.scenarios import a_customer, an_incident


def count(uow, model, *where):
    with uow() as u:
        return u.session.scalar(select(func.count()).select_from(model).where(*where))


def test_create_customer_is_saved_and_audited(uow, actors, db_url):
    customer_id = a_customer(db_url, actors["teamleader"])
    with uow() as u:
        customer = u.session.get(Customer, customer_id)
        assert customer.full_name == "Siân O'Brien-Nkemelu"
        entry = u.session.scalar(select(AuditEntry).where(AuditEntry.action == "create_customer"))
        assert entry.username == "teamleader"
        assert entry.customer_id == customer_id
        assert entry.after["housing_ref"] == "NPH900001"


def test_duplicate_housing_reference_is_refused(actors, db_url, uow):
    a_customer(db_url, actors["teamleader"])
    with pytest.raises(PolicyError, match="already exists"):
        a_customer(db_url, actors["teamleader"])
    assert count(uow, Customer) == 1


def test_logging_an_incident_opens_a_case_with_no_stage(uow, actors, db_url):
    customer_id = a_customer(db_url, actors["teamleader"])
    incident_id = an_incident(db_url, actors["teamleader"], customer_id)
    with uow() as u:
        incident = u.session.get(Incident, incident_id)
        assert incident.case.stage == Stage.NONE
        assert incident.case.customer_id == customer_id
        actions = u.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["open_case", "log_incident"]


def test_second_incident_joins_the_open_case(uow, actors, db_url):
    customer_id = a_customer(db_url, actors["teamleader"])
    first = an_incident(db_url, actors["teamleader"], customer_id)
    second = an_incident(db_url, actors["teamleader"], customer_id)
    with uow() as u:
        assert u.session.get(Incident, first).case_id == u.session.get(Incident, second).case_id
    assert count(uow, Case) == 1


@pytest.mark.parametrize("role", ["contractor", "admin", "dmo"])
def test_roles_that_may_not_record_incidents_are_refused(actors, db_url, uow, role):
    with pytest.raises(PermissionDenied):
        a_customer(db_url, actors[role])
    assert count(uow, Customer) == 0


def test_a_refused_incident_saves_nothing(actors, db_url, uow):
    customer_id = a_customer(db_url, actors["teamleader"])
    before = count(uow, AuditEntry)
    with pytest.raises(PolicyError):
        an_incident(db_url, actors["teamleader"], customer_id, behaviours=["covert_recording"])
    assert count(uow, Incident) == 0 and count(uow, Case) == 0
    assert count(uow, AuditEntry) == before


def test_search_finds_by_name_reference_and_address(actors, db_url, uow):
    a_customer(db_url, actors["teamleader"])
    tl = actors["teamleader"]
    for query in ("siân", "nph900001", "abington", "O'Brien"):
        assert [c["housing_ref"] for c in search_customers(tl, query, uow())] == ["NPH900001"], query
    assert search_customers(tl, "nobody-like-this", uow()) == []
    assert search_customers(tl, "%", uow()) == []


def test_audit_entries_cannot_be_changed_even_with_sql(actors, db_url, uow):
    a_customer(db_url, actors["teamleader"])
    with uow() as u, pytest.raises(Exception, match="append-only"):
        u.session.execute(text("UPDATE audit_entry SET username = 'someone'"))
    with uow() as u, pytest.raises(Exception, match="append-only"):
        u.session.execute(text("DELETE FROM audit_entry"))
    with uow() as u:
        entry = u.session.scalar(select(AuditEntry).limit(1))
        entry.username = "tampered"
        with pytest.raises(PermissionError):
            u.session.flush()


def test_a_database_error_holds_no_bound_values_in_its_message_or_the_log(uow, caplog):
    """Issue 14: an unhandled database error printed an incident description with a phone
    number; every engine is created with hide_parameters=True."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    secret = "Called from 07700 900123 about the fence"
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine"):
        logging.getLogger(name).setLevel(logging.INFO)  # statement logging on, as when debugging
    try:
        with uow() as u, pytest.raises(SQLAlchemyError) as problem:
            u.session.execute(
                text("INSERT INTO incident (id, description) VALUES (:id, :d)"), {"id": 1, "d": secret}
            )  # refused: required columns missing
            u.session.flush()
    finally:
        for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert secret not in str(problem.value)
    assert "07700" not in str(problem.value) and "07700" not in repr(problem.value)
    assert "07700" not in caplog.text
    assert "hidden due to hide_parameters" in str(problem.value)
    cause = problem.value.__cause__ or problem.value.orig  # what a traceback prints too
    assert "07700" not in str(cause)


def test_a_data_error_holds_no_typed_value(uow, db_url):
    """PostgreSQL quotes a value it cannot convert in the error message itself."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite converts quietly; no such error")
    from sqlalchemy.exc import SQLAlchemyError

    with uow() as u, pytest.raises(SQLAlchemyError) as problem:
        u.session.execute(text("SELECT CAST(:v AS INTEGER)"), {"v": "07700 900123"})
    assert "07700" not in str(problem.value) and "07700" not in str(problem.value.__cause__)
    assert "SQLSTATE 22P02" in str(problem.value)
