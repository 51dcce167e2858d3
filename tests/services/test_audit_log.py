"""The audit trail (clause 6: every change attributable): DMO and administrator read and export
it with filters; nobody can change or delete an entry, through the services or the database."""

import ast
import csv
import datetime as dt
import importlib
import inspect
import io
import json
import pkgutil
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

import core.services
from core.db import UnitOfWork, get_engine
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Incident
from core.services import audit
from core.services import dataprotection as dp
from tests.services.dp_scenarios import a_full_history, a_request


def _entry(url, **values) -> int:
    with UnitOfWork(url) as u:
        entry = AuditEntry(**values)
        u.session.add(entry)
        u.commit()
        return entry.id


@pytest.fixture
def trail(db_url):
    first = a_full_history(db_url, "NPH900101", "Mo", "First")
    second = a_full_history(db_url, "NPH900102", "Ned", "Second")
    day = lambda d: dt.datetime(2026, 3, d, 12, tzinfo=dt.UTC)  # noqa: E731
    ids = {
        "early": _entry(
            db_url,
            username="teamleader",
            user_id=2,
            action="amend_customer",
            entity_type="customer",
            entity_id=min(first["customer"]),
            customer_id=min(first["customer"]),
            before={"phone": "1"},
            after={"phone": "2"},
            reason="typo",
            at=day(1),
        ),
        "middle": _entry(
            db_url,
            username="dmo",
            user_id=3,
            action="set_legal_hold",
            entity_type="customer",
            entity_id=min(second["customer"]),
            customer_id=min(second["customer"]),
            before={"legal_hold": False},
            after={"legal_hold": True},
            reason="claim",
            at=day(10),
        ),
        "late": _entry(
            db_url,
            username="teamleader",
            user_id=2,
            action="amend_incident",
            entity_type="incident",
            entity_id=min(second["incident"]),
            customer_id=min(second["customer"]),
            before={"description": "=cmd|' /C calc'!A0"},
            after={"description": "fixed"},
            reason="wrong",
            at=day(20),
        ),
    }
    return {"first": first, "second": second, "ids": ids}


def test_filters_by_user_customer_record_type_and_date(uow, actors, trail):
    ids = trail["ids"]
    dmo = actors["dmo"]
    second = min(trail["second"]["customer"])

    def found(**filters):
        return {e.id for e in audit.audit_entries(dmo, uow(), **filters)} & set(ids.values())

    assert found() == set(ids.values())
    assert found(username="teamleader") == {ids["early"], ids["late"]}
    assert found(customer_id=second) == {ids["middle"], ids["late"]}
    assert found(entity_type="incident") == {ids["late"]}
    assert found(date_from=dt.date(2026, 3, 5), date_to=dt.date(2026, 3, 10)) == {ids["middle"]}
    assert found(date_from=dt.date(2026, 3, 20)) == {ids["late"]}
    entries = audit.audit_entries(dmo, uow(), customer_id=second, entity_type="customer")
    middle = next(e for e in entries if e.id == ids["middle"])
    assert (middle.before, middle.after, middle.username) == (
        {"legal_hold": False},
        {"legal_hold": True},
        "dmo",
    )
    newest_first = [e.at for e in audit.audit_entries(dmo, uow())]
    assert newest_first == sorted(newest_first, reverse=True)
    with pytest.raises(PolicyError, match="after the 'to' date"):
        audit.audit_entries(dmo, uow(), date_from=dt.date(2026, 3, 10), date_to=dt.date(2026, 3, 1))
    options = audit.audit_filter_options(dmo, uow())
    assert {"teamleader", "dmo"} <= set(options.usernames) and "incident" in options.entity_types
    assert {"amend_customer", "set_legal_hold", "amend_incident"} <= set(options.actions)


def test_the_administrator_sees_actions_and_actors_but_not_case_content(uow, actors, trail):
    """Issue 14, item 11: the administrator has no case access; the DMO sees everything."""
    ids = trail["ids"]
    admin = {e.id: e for e in audit.audit_entries(actors["admin"], uow())}
    dmo = {e.id: e for e in audit.audit_entries(actors["dmo"], uow())}
    late_admin, late_dmo = admin[ids["late"]], dmo[ids["late"]]
    assert (late_admin.username, late_admin.action, late_admin.entity_type, late_admin.at) == (
        late_dmo.username,
        late_dmo.action,
        late_dmo.entity_type,
        late_dmo.at,
    )
    assert late_admin.before == late_admin.after == late_admin.reason == audit.WITHHELD_CONTENT
    assert (late_dmo.before, late_dmo.reason) == ({"description": "=cmd|' /C calc'!A0"}, "wrong")
    assert not any("calc" in str(e.before) + str(e.after) for e in admin.values())
    name, data, _ = audit.export_audit(actors["admin"], uow, entity_type="incident")
    assert "calc" not in data.decode("utf-8-sig") and "wrong" not in data.decode("utf-8-sig")


def test_a_page_of_the_trail_holds_at_most_the_page_size_with_a_cursor_to_the_rest(uow, actors, trail):
    dmo = actors["dmo"]
    everything = audit.audit_entries(dmo, uow())
    assert len(everything) >= 5
    seen, cursor, pages = [], None, 0
    while True:
        page = audit.audit_page(dmo, uow(), after=cursor, limit=2)
        assert len(page.rows) <= 2
        seen += [e.id for e in page.rows]
        pages += 1
        if page.next_after is None:
            break
        assert (page.next_after.at, page.next_after.id) == (page.rows[-1].at, page.rows[-1].id)
        cursor = page.next_after
    assert seen == [e.id for e in everything] and pages == (len(everything) + 1) // 2
    last = audit.audit_page(dmo, uow(), limit=len(everything))
    assert last.next_after is None and len(last.rows) == len(everything)
    filtered = audit.audit_page(dmo, uow(), limit=1, username="teamleader", date_to=dt.date(2026, 3, 31))
    assert [e.id for e in filtered.rows] == [trail["ids"]["late"]] and filtered.next_after is not None


def test_only_the_dmo_and_administrator_may_read_the_trail(uow, actors, trail):
    for username in ("teamleader", "hsw", "ad.housing", "contractor"):
        with pytest.raises(PermissionDenied):
            audit.audit_entries(actors[username], uow())
        with pytest.raises(PermissionDenied):
            audit.access_log(actors[username], uow())


def test_export_neutralises_formulas_and_is_itself_audited(db_url, uow, actors, trail):
    name, data, mime = audit.export_audit(actors["dmo"], uow, entity_type="incident")
    assert name.endswith(".csv") and mime == "text/csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    late = next(r for r in rows if r["id"] == str(trail["ids"]["late"]))
    assert late["reason"] == "wrong" and not late["before"].startswith("=")
    assert "description" in late["before"]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    with UnitOfWork(db_url) as u:
        exported = u.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert exported.username == "dmo" and exported.entity_type == "audit_log"


def test_erased_customers_snapshots_are_withheld_from_view(db_url, uow, actors, trail):
    cid = min(trail["first"]["customer"])
    request = a_request(db_url, cid, "erasure")
    dp.erase_customer(actors["dmo"], request, uow())
    entries = audit.audit_entries(actors["dmo"], uow(), customer_id=cid)
    early = next(e for e in entries if e.id == trail["ids"]["early"])
    assert early.before == audit.WITHHELD and early.action == "amend_customer"
    erased = next(e for e in entries if e.action == "erase_customer")
    assert erased.after != audit.WITHHELD


def test_access_log_records_who_viewed_a_customer(db_url, uow, actors, trail):
    cid = min(trail["second"]["customer"])
    dp.record_access(actors["hsw"], cid, "case", uow())
    rows = audit.access_log(actors["dmo"], uow(), customer_id=cid)
    assert rows[0].username == "hsw" and rows[0].what == "case"
    assert {r.kind for r in rows} == {"case records", "arrangements"}
    assert {r.username for r in audit.access_log(actors["admin"], uow(), username="hsw")} == {"hsw"}
    assert all(
        r.kind == "case records"
        for r in audit.access_log(actors["dmo"], uow(), customer_id=cid, include_disclosures=False)
    )
    with pytest.raises(PermissionDenied):
        dp.record_access(actors["contractor"], cid, "case", uow())
    name, data, _ = audit.export_access_log(actors["dmo"], uow, customer_id=cid)
    assert "hsw" in data.decode("utf-8-sig")


# ---- no way to edit or delete an audit entry -------------------------------------------------

_RAW_SQL = re.compile(
    r"(update\s+\"?audit_entry|delete\s+from\s+\"?audit_entry|truncate\s+\"?audit_entry)", re.I
)


def _service_modules():
    """Every module under core/services, including the modules of a package (a split service)."""
    for info in pkgutil.walk_packages(core.services.__path__, "core.services."):
        yield importlib.import_module(info.name)


def _offences(source: str) -> list[str]:
    """Statements in a module that would update or delete audit entries."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            target = ast.unparse(first) if first is not None else ""
            receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            if name in ("update", "delete") and ("AuditEntry" in target or "audit_entry" in target):
                problems.append(ast.unparse(node))
            if name in ("update", "delete") and "AuditEntry" in receiver:
                problems.append(ast.unparse(node))  # query(AuditEntry).delete() / .update()
            if (
                name == "delete"
                and receiver.endswith("session")
                and first is not None
                and "audit" in target.lower()
            ):
                problems.append(ast.unparse(node))  # session.delete(audit_entry)
        if isinstance(node, ast.Assign):
            for assigned in node.targets:
                if (
                    isinstance(assigned, ast.Attribute)
                    and isinstance(assigned.value, ast.Name)
                    and "audit" in assigned.value.id.lower()
                    and assigned.value.id != "audit"
                ):
                    problems.append(ast.unparse(node))  # entry.before = ...
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _RAW_SQL.search(node.value):
            problems.append(node.value)
    return problems


def test_the_offence_detector_catches_the_ways_of_changing_an_entry():
    offending = [
        "s.execute(delete(AuditEntry).where(AuditEntry.id == 1))",
        "s.execute(update(AuditEntry).values(reason=''))",
        "s.query(AuditEntry).delete()",
        "uow.session.delete(audit_entry)",
        "audit_row.reason = 'x'",
        "s.execute(text('DELETE FROM audit_entry'))",
        "s.execute(text('update audit_entry set reason = 1'))",
        "s.execute(delete(T['audit_entry']))",
    ]
    for line in offending:
        assert _offences(line), line
    harmless = [
        "uow.audit(actor, 'erase', before={})",
        "s.execute(delete(T['letter']))",
        "uow.session.delete(incident)",
        "select(AuditEntry).where(AuditEntry.id == 1)",
    ]
    for line in harmless:
        assert not _offences(line), line


# The one sanctioned change (issue 14): erasure replaces an erased customer's payloads with the
# redaction marker; migration 0004's triggers refuse anything else (tests below).
_SANCTIONED = {"core.services.dataprotection.erasure": "_scrub_audit_payloads"}


def test_no_service_offers_a_way_to_change_or_delete_audit_entries():
    modules = list(_service_modules())
    assert {"dataprotection", "audit", "customers", "incidents", "erasure"} <= {
        m.__name__.rsplit(".", 1)[1] for m in modules
    }
    found = {}
    for module in modules:
        source = inspect.getsource(module)
        if module.__name__ in _SANCTIONED:
            scrub = inspect.getsource(getattr(module, _SANCTIONED[module.__name__]))
            assert len(_offences(scrub)) == 1 and "REDACTED" in scrub  # the one update, to the marker
            source = source.replace(scrub, "")
        found[module.__name__] = _offences(source)
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_orm_refuses_to_change_or_delete_an_entry(db_url, trail):
    entry_id = trail["ids"]["early"]
    with UnitOfWork(db_url) as u:
        entry = u.session.get(AuditEntry, entry_id)
        entry.reason = "rewritten"
        with pytest.raises(PermissionError):
            u.session.flush()
    with UnitOfWork(db_url) as u:
        u.session.delete(u.session.get(AuditEntry, entry_id))
        with pytest.raises(PermissionError):
            u.session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET reason = 'rewritten' WHERE id = :id",
        "DELETE FROM audit_entry WHERE id = :id",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(db_url, trail, statement):
    entry_id = trail["ids"]["early"]
    with get_engine(db_url).connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"id": entry_id})
        connection.rollback()
    with UnitOfWork(db_url) as u:
        assert u.session.get(AuditEntry, entry_id).reason == "typo"


# ---- append-only against every statement form (issue 14, item 4) ------------------------------

_COLUMNS = "(id, at, user_id, username, action, entity_type, entity_id, customer_id, reason)"
_VALUES = "(:id, :at, 9, 'intruder', 'rewritten', 'customer', 1, NULL, 'forged')"
_SQLITE_FORMS = [
    f"INSERT OR REPLACE INTO audit_entry {_COLUMNS} VALUES {_VALUES}",
    f"REPLACE INTO audit_entry {_COLUMNS} VALUES {_VALUES}",
    f"INSERT INTO audit_entry {_COLUMNS} VALUES {_VALUES} ON CONFLICT(id) DO UPDATE SET reason = 'forged'",
    "UPDATE OR REPLACE audit_entry SET reason = 'forged' WHERE id = :id",
]
_POSTGRES_FORMS = [
    f"INSERT INTO audit_entry {_COLUMNS} VALUES {_VALUES} ON CONFLICT (id) DO UPDATE SET reason = 'forged'",
    "INSERT INTO audit_entry (id, at, username, action, entity_type, reason) SELECT id, at, username, "
    "action, entity_type, 'forged' FROM audit_entry WHERE id = :id "
    "ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason",
    "TRUNCATE audit_entry",
    "TRUNCATE audit_entry CASCADE",
]


def _unchanged(url, entry_id):
    with UnitOfWork(url) as u:
        entry = u.session.get(AuditEntry, entry_id)
        assert (entry.reason, entry.username, entry.before) == ("typo", "teamleader", {"phone": "1"})


def _refused(url, statement, params):
    with get_engine(url).connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), params)
            connection.commit()
        connection.rollback()


def test_raw_sql_cannot_replace_or_upsert_an_entry(db_url, trail):
    entry_id = trail["ids"]["early"]
    forms = _SQLITE_FORMS if db_url.startswith("sqlite") else _POSTGRES_FORMS
    params = {"id": entry_id, "at": dt.datetime(2026, 3, 2, tzinfo=dt.UTC)}
    for statement in forms:
        _refused(db_url, statement, params)
        _unchanged(db_url, entry_id)
    with get_engine(db_url).connect() as connection:  # a new entry still goes in
        connection.execute(
            text(f"INSERT INTO audit_entry {_COLUMNS} VALUES {_VALUES}"), {**params, "id": entry_id + 1000}
        )
        connection.commit()


def test_sqlalchemy_cannot_replace_or_upsert_an_entry(db_url, trail):
    from sqlalchemy.dialects import postgresql, sqlite

    entry_id = trail["ids"]["early"]
    values = {
        "id": entry_id,
        "at": dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        "username": "intruder",
        "action": "rewritten",
        "entity_type": "customer",
        "reason": "forged",
        "before": {"phone": "9"},
    }
    dialect = sqlite if db_url.startswith("sqlite") else postgresql
    statements = [
        dialect.insert(AuditEntry)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[AuditEntry.id], set_={"reason": "forged", "before": {"phone": "9"}}
        )
    ]
    if dialect is sqlite:
        statements.append(sqlite.insert(AuditEntry).values(**values).prefix_with("OR REPLACE"))
    for statement in statements:
        with UnitOfWork(db_url) as u, pytest.raises(DBAPIError, match="append-only"):
            u.session.execute(statement)
            u.commit()
        _unchanged(db_url, entry_id)
    with UnitOfWork(db_url) as u:  # merge() of a forged copy is refused by the ORM
        u.session.merge(AuditEntry(**values))
        with pytest.raises(PermissionError):
            u.session.flush()
    _unchanged(db_url, entry_id)


def test_only_the_erasure_redaction_of_an_erased_customers_payload_is_accepted(db_url, uow, actors, trail):
    from core.services.dataprotection.erasure import REDACTED

    early, late = trail["ids"]["early"], trail["ids"]["late"]
    marker = json.dumps(REDACTED)
    redact = "UPDATE audit_entry SET before = :marker WHERE id = :id"
    if db_url.startswith("postgresql"):
        redact = "UPDATE audit_entry SET before = CAST(:marker AS json) WHERE id = :id"
    _refused(db_url, redact, {"marker": marker, "id": early})  # customer not erased: refused
    cid = min(trail["first"]["customer"])
    dp.erase_customer(actors["dmo"], a_request(db_url, cid, "erasure"), uow())
    for statement, params in [
        ("UPDATE audit_entry SET reason = 'forged' WHERE id = :id", {"id": early}),
        ("UPDATE audit_entry SET username = 'someone' WHERE id = :id", {"id": early}),
        (redact.replace(":marker", '\'{"phone": "9"}\''), {"id": early}),  # anything but the marker
        (redact, {"marker": marker, "id": late}),  # another customer's entry
        ("DELETE FROM audit_entry WHERE id = :id", {"id": early}),
    ]:
        _refused(db_url, statement, params)
    with UnitOfWork(db_url) as u:
        entry = u.session.get(AuditEntry, early)
        assert (entry.before, entry.after, entry.reason, entry.username, entry.action) == (
            REDACTED,
            REDACTED,
            "typo",
            "teamleader",
            "amend_customer",
        )
        assert u.session.get(AuditEntry, late).before == {"description": "=cmd|' /C calc'!A0"}


def test_erasure_leaves_no_erased_value_anywhere_in_the_database_file(sqlite_url):
    """Issue 14, item 11: after erasure, a VACUUM and a WAL checkpoint, none of the customer's
    name, address, phone, email or incident text is left in the file's bytes."""
    from dataclasses import replace

    from core.db import dispose_engines
    from core.services.customers import CustomerDetails, create_customer, update_customer
    from core.services.incidents import NewIncident, amend_incident, incident_form, log_incident
    from tests.scenarios import area_id, demo_actors

    url, people = sqlite_url, demo_actors(sqlite_url)
    leader, dmo = people["teamleader"], people["dmo"]
    details = CustomerDetails(
        first_name="Zebedee",
        last_name="Quillfeatherstone",
        housing_ref="NPH987654",
        address_line1="77 Wobblegate Crescent",
        town="Northampton",
        postcode="NN9 9ZZ",
        phone="07700 918273",
        email="zq.private@example.org",
        service_area_id=area_id(url),
    )
    cid = create_customer(leader, details, UnitOfWork(url))
    update_customer(leader, cid, replace(details, phone="07700 564738"), "New number", UnitOfWork(url))
    incident = log_incident(
        leader,
        NewIncident(
            customer_id=cid,
            occurred_at=dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
            channel="phone",
            category="aggressive",
            behaviours=["threatening_language"],
            evidence_source="first_hand",
            description="Shouted about the marmalade xylophone at the counter.",
        ),
        UnitOfWork(url),
    )
    with UnitOfWork(url) as u:
        form = incident_form(u, u.session.get(Incident, incident))
    amend_incident(
        leader,
        incident,
        replace(form, description="Shouted about the purple kettledrum."),
        "Wrong instrument",
        UnitOfWork(url),
    )
    dp.record_access(dmo, cid, "timeline", UnitOfWork(url))
    secrets = [
        "Zebedee",
        "Quillfeatherstone",
        "Wobblegate",
        "NN9 9ZZ",
        "918273",
        "564738",
        "zq.private",
        "marmalade xylophone",
        "purple kettledrum",
        "NPH987654",
    ]

    def file_bytes() -> bytes:
        dispose_engines()
        with get_engine(url).connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("VACUUM")
        dispose_engines()
        path = url.removeprefix("sqlite:///")
        return b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if Path(p).exists())

    before = file_bytes()
    assert all(secret.encode() in before for secret in secrets)  # the test can see them
    request = dp.log_request(
        dmo, cid, "erasure", dt.date(2026, 3, 5), True, "Erase me", UnitOfWork(url), today=dt.date(2026, 3, 5)
    )
    result = dp.erase_customer(dmo, request, UnitOfWork(url))
    assert result["audit_payloads_redacted"] >= 4
    after = file_bytes()
    assert [s for s in secrets if s.encode() in after] == []
    assert [s for s in secrets if s.encode("utf-16-le") in after] == []
    entries = audit.audit_entries(dmo, UnitOfWork(url), customer_id=cid)  # who did what, when: kept
    done = [(e.action, e.username) for e in reversed(entries)]
    assert done[:2] == [("create_customer", "teamleader"), ("amend_customer", "teamleader")]
    assert {
        ("log_incident", "teamleader"),
        ("amend_incident", "teamleader"),
        ("erase_customer", "dmo"),
    } <= set(done)
