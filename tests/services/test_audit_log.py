"""The audit trail (clause 6: every change attributable): DMO and administrator read and export
it with filters; nobody can change or delete an entry, through the services or the database."""
import ast
import csv
import datetime as dt
import importlib
import inspect
import io
import pkgutil
import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

import core.services
from core.db import UnitOfWork, get_engine
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry
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
    day = lambda d: dt.datetime(2026, 3, d, 12, tzinfo=dt.timezone.utc)  # noqa: E731
    ids = {
        "early": _entry(db_url, username="teamleader", user_id=2, action="amend_customer", entity_type="customer",
                        entity_id=min(first["customer"]), customer_id=min(first["customer"]),
                        before={"phone": "1"}, after={"phone": "2"}, reason="typo", at=day(1)),
        "middle": _entry(db_url, username="dmo", user_id=3, action="set_legal_hold", entity_type="customer",
                         entity_id=min(second["customer"]), customer_id=min(second["customer"]),
                         before={"legal_hold": False}, after={"legal_hold": True}, reason="claim", at=day(10)),
        "late": _entry(db_url, username="teamleader", user_id=2, action="amend_incident", entity_type="incident",
                       entity_id=min(second["incident"]), customer_id=min(second["customer"]),
                       before={"description": "=cmd|' /C calc'!A0"}, after={"description": "fixed"},
                       reason="wrong", at=day(20)),
    }
    return {"first": first, "second": second, "ids": ids}


def test_filters_by_user_customer_record_type_and_date(uow, actors, trail):
    ids = trail["ids"]
    dmo = actors["dmo"]
    second = min(trail["second"]["customer"])

    def found(**filters):
        return {e["id"] for e in audit.audit_entries(dmo, uow(), **filters)} & set(ids.values())

    assert found() == set(ids.values())
    assert found(username="teamleader") == {ids["early"], ids["late"]}
    assert found(customer_id=second) == {ids["middle"], ids["late"]}
    assert found(entity_type="incident") == {ids["late"]}
    assert found(date_from=dt.date(2026, 3, 5), date_to=dt.date(2026, 3, 10)) == {ids["middle"]}
    assert found(date_from=dt.date(2026, 3, 20)) == {ids["late"]}
    entries = audit.audit_entries(actors["admin"], uow(), customer_id=second, entity_type="customer")
    middle = next(e for e in entries if e["id"] == ids["middle"])
    assert (middle["before"], middle["after"], middle["username"]) == (
        {"legal_hold": False}, {"legal_hold": True}, "dmo")
    newest_first = [e["at"] for e in audit.audit_entries(dmo, uow())]
    assert newest_first == sorted(newest_first, reverse=True)
    with pytest.raises(PolicyError, match="after the 'to' date"):
        audit.audit_entries(dmo, uow(), date_from=dt.date(2026, 3, 10), date_to=dt.date(2026, 3, 1))
    options = audit.audit_filter_options(dmo, uow())
    assert {"teamleader", "dmo"} <= set(options["usernames"]) and "incident" in options["entity_types"]


def test_only_the_dmo_and_administrator_may_read_the_trail(uow, actors, trail):
    for username in ("teamleader", "hsw", "ad.housing", "contractor"):
        with pytest.raises(PermissionDenied):
            audit.audit_entries(actors[username], uow())
        with pytest.raises(PermissionDenied):
            audit.access_log(actors[username], uow())


def test_export_neutralises_formulas_and_is_itself_audited(db_url, uow, actors, trail):
    name, data, mime = audit.export_audit(actors["admin"], uow, entity_type="incident")
    assert name.endswith(".csv") and mime == "text/csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    late = next(r for r in rows if r["id"] == str(trail["ids"]["late"]))
    assert late["reason"] == "wrong" and not late["before"].startswith("=")
    assert "description" in late["before"]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
    with UnitOfWork(db_url) as u:
        exported = u.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert exported.username == "admin" and exported.entity_type == "audit_log"


def test_erased_customers_snapshots_are_withheld_from_view(db_url, uow, actors, trail):
    cid = min(trail["first"]["customer"])
    request = a_request(db_url, cid, "erasure")
    dp.erase_customer(actors["dmo"], request, uow())
    entries = audit.audit_entries(actors["dmo"], uow(), customer_id=cid)
    early = next(e for e in entries if e["id"] == trail["ids"]["early"])
    assert early["before"] == audit.WITHHELD and early["action"] == "amend_customer"
    erased = next(e for e in entries if e["action"] == "erase_customer")
    assert erased["after"] != audit.WITHHELD


def test_access_log_records_who_viewed_a_customer(db_url, uow, actors, trail):
    cid = min(trail["second"]["customer"])
    dp.record_access(actors["hsw"], cid, "case", uow())
    rows = audit.access_log(actors["dmo"], uow(), customer_id=cid)
    assert rows[0]["username"] == "hsw" and rows[0]["what"] == "case"
    assert {r["kind"] for r in rows} == {"case records", "arrangements"}
    assert {r["username"] for r in audit.access_log(actors["admin"], uow(), username="hsw")} == {"hsw"}
    assert all(r["kind"] == "case records" for r in
               audit.access_log(actors["dmo"], uow(), customer_id=cid, include_disclosures=False))
    with pytest.raises(PermissionDenied):
        dp.record_access(actors["contractor"], cid, "case", uow())
    name, data, _ = audit.export_access_log(actors["dmo"], uow, customer_id=cid)
    assert "hsw" in data.decode("utf-8-sig")


# ---- no way to edit or delete an audit entry -------------------------------------------------

_RAW_SQL = re.compile(r"(update\s+\"?audit_entry|delete\s+from\s+\"?audit_entry|truncate\s+\"?audit_entry)", re.I)


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
                problems.append(ast.unparse(node))       # query(AuditEntry).delete() / .update()
            if name == "delete" and receiver.endswith("session") and first is not None and "audit" in target.lower():
                problems.append(ast.unparse(node))       # session.delete(audit_entry)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and "audit" in target.value.id.lower() and target.value.id != "audit":
                    problems.append(ast.unparse(node))   # entry.before = ...
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
    harmless = ["uow.audit(actor, 'erase', before={})", "s.execute(delete(T['letter']))",
                "uow.session.delete(incident)", "select(AuditEntry).where(AuditEntry.id == 1)"]
    for line in harmless:
        assert not _offences(line), line


def test_no_service_offers_a_way_to_change_or_delete_audit_entries():
    modules = list(_service_modules())
    assert {"dataprotection", "audit", "customers", "incidents", "erasure"} <= {
        m.__name__.rsplit(".", 1)[1] for m in modules}
    found = {m.__name__: _offences(inspect.getsource(m)) for m in modules}
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


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET reason = 'rewritten' WHERE id = :id",
    "DELETE FROM audit_entry WHERE id = :id",
])
def test_the_database_refuses_to_change_or_delete_an_entry(db_url, trail, statement):
    entry_id = trail["ids"]["early"]
    with get_engine(db_url).connect() as connection:
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(statement), {"id": entry_id})
        connection.rollback()
    with UnitOfWork(db_url) as u:
        assert u.session.get(AuditEntry, entry_id).reason == "typo"
