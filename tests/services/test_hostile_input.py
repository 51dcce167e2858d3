"""Hostile input (issue 9): property-based tests feed the services random and malicious text.
Every call either succeeds (and stores the text as typed) or raises the project's own
PolicyError, never anything else; a refused call leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.db import UnitOfWork, dispose_engines
from core.errors import PolicyError
from core.models import AuditEntry, Base
from core.services import users
from core.services.customers import CustomerDetails, create_customer, get_customer, search_customers
from core.services.incidents import NewIncident, log_incident
from tests.scenarios import NOW, a_customer, area_id, demo_actors

ATTACKS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "{{ 7*7 }}",
    "{% for x in y %}{% endfor %}",
    "{{ config.__class__ }}",
    '=HYPERLINK("http://x")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "@SUM(A1)",
    "'; DROP TABLE customer; --",
    "%s%s%n",
    "\\x00",
    "",
    " ",
    "\n",
    "a\x00b",
    "tab\tinside",
    "bell\x07",
    "esc\x1b[31m",
    "del\x7f",
    "line\r\nbreak",
    "😀👩‍👩‍👧‍👦🇬🇧",
    "Zoë Ñúñez Łódź 李小龍 مرحبا",
    "e\u0301 (combining)",
    "\u202eRTL override",
    "\ufeffBOM",
    "a" * 100_000,
    "😀" * 30_000,
    "x" * 201,
    "y" * 20_001,
]
TEXT = st.one_of(
    st.sampled_from(ATTACKS),
    st.text(max_size=300),
    st.builds(lambda a, b: a + b, st.sampled_from(ATTACKS), st.text(max_size=40)),
)
EXAMPLES = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TRIED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_how_many_hostile_inputs_were_tried():
    """Prints the number of calls per service for docs/reliability.md (run with -s), after
    whichever of this module's tests ran; it asserts nothing, so no test depends on order."""
    yield
    print(f"\nhostile inputs tried: {sum(TRIED.values())} calls: {TRIED}")


@pytest.fixture(scope="module")
def url(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "ft.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite:///{path}"
    dispose_engines()


@pytest.fixture(scope="module")
def people(url):
    actors = demo_actors(url)
    customer_id = a_customer(url, actors["teamleader"], ref="NPH999999")
    return actors, customer_id


def state(url: str) -> dict[str, int]:
    with UnitOfWork(url) as uow:
        return {
            t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def typed(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def call(url: str, name: str, service, *args, **kwargs):
    """(True, result) or (False, None) after checking a refusal changed nothing. Anything but
    a PolicyError fails the test."""
    TRIED[name] = TRIED.get(name, 0) + 1
    before = state(url)
    try:
        return True, service(*args, **kwargs)
    except PolicyError as refusal:
        assert str(refusal).strip(), "a refusal must say what is wrong"
        assert state(url) == before, f"{name} was refused but changed the database"
        return False, None


REFS = itertools.count(1)


@EXAMPLES
@given(first=TEXT, last=TEXT, line1=TEXT, town=TEXT, phone=TEXT, vulnerability=TEXT)
def test_create_customer_accepts_or_refuses_cleanly(
    url, people, first, last, line1, town, phone, vulnerability
):
    actors, _ = people
    details = CustomerDetails(
        first_name=first,
        last_name=last,
        housing_ref=f"HX{next(REFS):06d}",
        address_line1=line1,
        town=town,
        phone=phone,
        service_area_id=area_id(url),
        vulnerabilities={"mental_health": vulnerability},
    )
    ok, customer_id = call(
        url, "create_customer", create_customer, actors["teamleader"], details, UnitOfWork(url)
    )
    if ok:
        stored = get_customer(actors["teamleader"], customer_id, UnitOfWork(url))
        assert (stored["first_name"], stored["last_name"], stored["address_line1"]) == (
            typed(first),
            typed(last),
            typed(line1),
        )
        assert stored["vulnerabilities"][0]["details"] == typed(vulnerability)


@EXAMPLES
@given(ref=TEXT)
def test_hostile_housing_reference(url, people, ref):
    actors, _ = people
    details = CustomerDetails(
        first_name="Ann", last_name="Lee", housing_ref=ref, service_area_id=area_id(url)
    )
    ok, customer_id = call(
        url, "create_customer(ref)", create_customer, actors["teamleader"], details, UnitOfWork(url)
    )
    if ok:
        stored = get_customer(actors["teamleader"], customer_id, UnitOfWork(url))
        assert stored["housing_ref"] == typed(ref).upper()
        # and the customer is found again by the reference as stored
        found = search_customers(actors["teamleader"], stored["housing_ref"], UnitOfWork(url))
        assert customer_id in [row["id"] for row in found]


@EXAMPLES
@given(query=TEXT)
def test_search_customers_never_fails_unexpectedly(url, people, query):
    actors, _ = people
    for who in ("teamleader", "contractor"):  # the contractor searches for the arrangements view
        ok, rows = call(
            url, f"search_customers({who})", search_customers, actors[who], query, UnitOfWork(url)
        )
        if ok:
            assert len(rows) <= 50
            assert not_matching(url, query, rows) == []


def not_matching(url: str, query: str, rows: list[dict]) -> list[int]:
    """Ids of rows the query does not match: a customer matches when every word (the first five)
    is in their name, reference or address, or is their housing reference."""
    from core.models import Customer
    from core.services.customers import search_text_for

    words = typed(query).lower().split()[:5]
    with UnitOfWork(url) as uow:
        customers = [uow.session.get_one(Customer, row["id"]) for row in rows]
        return [
            c.id
            for c in customers
            if not all(w in search_text_for(c) or w.upper() == c.housing_ref for w in words)
        ]


@EXAMPLES
@given(
    description=TEXT,
    witnesses=TEXT,
    third_party=TEXT,
    staff=TEXT,
    police=TEXT,
    source=st.sampled_from(["first_hand", "third_party", "hearsay", "<b>x</b>", ""]),
    violent=st.booleans(),
    minutes_ago=st.integers(-120, 60 * 24 * 400),
)
def test_log_incident_accepts_or_refuses_cleanly(
    url, people, description, witnesses, third_party, staff, police, source, violent, minutes_ago
):
    actors, customer_id = people
    new = NewIncident(
        customer_id=customer_id,
        occurred_at=NOW - dt.timedelta(minutes=minutes_ago),
        channel="phone",
        category="aggressive",
        behaviours=["threatening_language"],
        description=description,
        evidence_source=source,
        witnesses=witnesses,
        third_party_name=third_party,
        staff_affected=staff,
        violence_or_threat=violent,
        police_reference=police,
    )
    ok, incident_id = call(
        url, "log_incident", log_incident, actors["teamleader"], new, UnitOfWork(url), now=NOW
    )
    if ok:
        from core.models import Incident

        with UnitOfWork(url) as uow:
            assert uow.session.get(Incident, incident_id).description == typed(description)


@EXAMPLES
@given(
    username=TEXT,
    name=TEXT,
    password=TEXT,
    email=TEXT,
    role=st.sampled_from(["viewer", "team_leader", "administrator", "<script>", ""]),
)
def test_add_user_accepts_or_refuses_cleanly(url, people, username, name, password, email, role):
    actors, _ = people
    ok, user_id = call(
        url,
        "add_user",
        users.add_user,
        actors["admin"],
        username,
        name,
        role,
        password,
        UnitOfWork(url),
        email=email,
    )
    if ok:
        from core.auth import check_password
        from core.models import User

        with UnitOfWork(url) as uow:
            user = uow.session.get(User, user_id)
            assert user.name == typed(name)
            assert check_password(password, user.password_hash)
            entry = uow.session.scalar(
                select(AuditEntry).where(AuditEntry.action == "add_user", AuditEntry.entity_id == user_id)
            )
            assert "password_hash" not in entry.after
            assert user.password_hash not in repr(entry.after)
            assert entry.after["id"] == user_id and entry.after["username"] == user.username


@EXAMPLES
@given(password=TEXT, reason=TEXT)
def test_reset_password_and_disable_accept_or_refuse_cleanly(url, people, password, reason):
    actors, _ = people
    from core.auth import check_password
    from core.models import User

    hsw = actors["hsw"].user_id
    ok, _ = call(url, "reset_password", users.reset_password, actors["admin"], hsw, password, UnitOfWork(url))
    if ok:
        with UnitOfWork(url) as uow:
            user = uow.session.get(User, hsw)
            assert check_password(password, user.password_hash)
            entry = last_audit(uow, "reset_password", hsw)
            assert entry.after == {"password": "reset"}
    active = bool(len(reason) % 2)  # disable and enable in turn
    ok, _ = call(
        url, "set_user_active", users.set_user_active, actors["admin"], hsw, active, reason, UnitOfWork(url)
    )
    if ok:
        with UnitOfWork(url) as uow:
            assert uow.session.get(User, hsw).active is active
            entry = last_audit(uow, "enable_user" if active else "disable_user", hsw)
            assert entry.reason == typed(reason) and entry.after == {"active": active}


def last_audit(uow: UnitOfWork, action: str, entity_id: int) -> AuditEntry:
    entry = uow.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).one()
    return entry
