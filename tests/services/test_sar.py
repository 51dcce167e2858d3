"""Clause 6: a subject access pack holds every record about the customer and nothing about anyone else."""

import csv
import datetime as dt
import io
import json
import zipfile

import docx
import pytest
from sqlalchemy import select

from core.db import UnitOfWork
from core.errors import PermissionDenied, PolicyError
from core.models import AuditEntry, Base, DataRequest
from core.services import dataprotection as dp
from tests.services.dp_scenarios import TODAY, a_full_history, a_request, row_keys


def _pack(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _json(z: zipfile.ZipFile) -> dict:
    return json.loads(z.read("data.json"))


def _keys(table: str, rows: list[dict]) -> set:
    return row_keys(table, rows)


@pytest.fixture
def two_customers(db_url):
    other = a_full_history(
        db_url, "NPH700002", "Bartholomew", "Quince", phone="07700 900123", email="bq@example.org"
    )
    subject = a_full_history(
        db_url,
        "NPH700001",
        "Siân",
        "O'Brien-Nkemelu",
        mention="Bartholomew Quince (NPH700002, phone 07700 900123)",
    )
    return subject, other


def test_every_table_about_a_customer_is_in_the_pack_or_declared_not_personal():
    covered = {name for name, _ in dp.PACK_TABLES}
    assert set(Base.metadata.tables) - dp.NOT_ABOUT_A_CUSTOMER == covered


def test_pack_holds_every_row_about_the_customer_and_none_about_another(db_url, uow, actors, two_customers):
    subject, other = two_customers
    request = a_request(db_url, min(subject["customer"]), "sar")
    data = dp.build_sar_pack(actors["dmo"], uow(), request_id=request)
    z = _pack(data)
    tables = _json(z)["tables"]
    for name, _title in dp.PACK_TABLES:
        present = _keys(name, tables[name])
        expected = set(subject[name])
        if name == "data_request":
            expected |= {request}
        if name == "audit_entry":
            # the entries written when the request was logged are about this customer too
            assert expected <= present
            assert not present & set(other[name])
            continue
        assert present == expected, name
        assert not present & set(other[name]), name
        rows = list(csv.DictReader(io.StringIO(z.read(f"csv/{name}.csv").decode("utf-8-sig"))))
        assert len(rows) == len(expected), name
    # every letter issued, as the stored .docx bytes
    for letter_id, content in subject["_letter_bytes"].items():
        path = next(n for n in z.namelist() if n.startswith(f"letters/{letter_id}-"))
        assert z.read(path) == content
    assert not [
        n
        for n in z.namelist()
        if n.startswith("letters/") and int(n.split("/")[1].split("-")[0]) in other["letter"]
    ]


def test_other_customers_details_in_free_text_are_flagged_for_redaction(db_url, uow, actors, two_customers):
    subject, _ = two_customers
    data = dp.build_sar_pack(actors["dmo"], uow(), customer_id=min(subject["customer"]))
    z = _pack(data)
    flags = list(
        csv.DictReader(
            io.StringIO(z.read("FOR_DMO_REVIEW_remove_before_release/redactions.csv").decode("utf-8-sig"))
        )
    )
    found = {(f["table"], f["found"], f["kind"]) for f in flags}
    assert ("incident", "Bartholomew Quince", "another customer's name") in found
    assert ("incident", "NPH700002", "another customer's reference") in found
    assert ("incident", "07700 900123", "another customer's phone number") in found
    # the customer's own name is never flagged
    assert not [f for f in flags if "O'Brien" in f["found"] and f["kind"].startswith("another")]
    summary = docx.Document(io.BytesIO(z.read("summary.docx")))
    text = "\n".join(p.text for p in summary.paragraphs)
    assert "Before release: redactions" in text
    assert "Bartholomew Quince" in text
    assert "Incidents (2)" in text
    assert "Teamleader" in text or "teamleader" in text.lower()  # staff names may be included


def test_building_the_pack_reports_progress_and_is_audited(db_url, uow, actors, two_customers):
    subject, _ = two_customers
    customer_id = min(subject["customer"])
    seen = []
    dp.build_sar_pack(
        actors["dmo"],
        uow(),
        customer_id=customer_id,
        progress=lambda fraction, message: seen.append(fraction),
    )
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4
    with UnitOfWork(db_url) as u:
        entry = u.session.scalars(select(AuditEntry).where(AuditEntry.action == "build_sar_pack")).one()
        assert entry.customer_id == customer_id and entry.username == "dmo"
        assert entry.after["rows"]["incident"] == 2 and entry.after["letters"] == 1


def test_a_team_leader_cannot_build_a_pack(db_url, uow, actors, two_customers):
    subject, _ = two_customers
    with pytest.raises(PermissionDenied):
        dp.build_sar_pack(actors["teamleader"], uow(), customer_id=min(subject["customer"]))


def test_pack_is_refused_until_the_identity_is_checked(db_url, uow, actors, two_customers):
    subject, _ = two_customers
    request = a_request(db_url, min(subject["customer"]), "sar", identity_checked=False)
    with pytest.raises(PolicyError, match="identity has not been checked"):
        dp.build_sar_pack(actors["dmo"], uow(), request_id=request)
    dp.confirm_identity(actors["dmo"], request, "Passport seen at the office", uow())
    assert dp.build_sar_pack(actors["dmo"], uow(), request_id=request)[:2] == b"PK"


def test_logging_a_request_sets_the_due_date_one_calendar_month_later(db_url, uow, actors, two_customers):
    subject, _ = two_customers
    customer_id = min(subject["customer"])
    request_id = dp.log_request(
        actors["dmo"], customer_id, "sar", dt.date(2026, 1, 31), True, "", uow(), today=TODAY
    )
    with UnitOfWork(db_url) as u:
        assert u.session.get(DataRequest, request_id).due_on == dt.date(2026, 2, 28)
    listed = {r.id: r for r in dp.list_requests(actors["dmo"], uow(), today=TODAY)}
    assert listed[request_id].overdue and listed[request_id].days_left < 0
    with pytest.raises(PolicyError, match="future"):
        dp.log_request(
            actors["dmo"], customer_id, "sar", TODAY + dt.timedelta(days=1), True, "", uow(), today=TODAY
        )
    with pytest.raises(PolicyError, match="required"):
        dp.log_request(actors["dmo"], customer_id, "rectification", TODAY, True, "  ", uow(), today=TODAY)
    dp.complete_request(actors["dmo"], request_id, "released", "Pack sent by recorded delivery", uow())
    assert request_id not in {r.id for r in dp.list_requests(actors["dmo"], uow(), today=TODAY)}


def test_pack_for_a_demo_customer_matches_an_independent_query_of_every_table(tmp_path):
    """On the demo data set (SQLite): the pack for the customer with the longest history holds
    exactly the rows an independent query finds, and no other customer's rows."""
    from sqlalchemy import func

    from core.db import dispose_engines
    from core.demo import load_demo_data
    from core.models import (
        Appeal,
        Case,
        CustomerVulnerability,
        FormalAction,
        Incident,
        PvpConsideration,
        PvpEntry,
        Review,
        SpocEntry,
        SpocRequest,
        StageEvent,
    )
    from db.setup import migrate
    from tests.scenarios import demo_actors

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate(url)
    load_demo_data(url, size=0.02, today=TODAY)
    try:
        with UnitOfWork(url) as u:
            s = u.session
            customer_id = s.scalar(select(SpocEntry.customer_id).order_by(SpocEntry.id).limit(1)) or s.scalar(
                select(Incident.customer_id)
                .group_by(Incident.customer_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            cases = set(s.scalars(select(Case.id).where(Case.customer_id == customer_id)))
            expected = {
                "case_file": cases,
                "incident": set(s.scalars(select(Incident.id).where(Incident.customer_id == customer_id))),
                "stage_event": set(s.scalars(select(StageEvent.id).where(StageEvent.case_id.in_(cases)))),
                "formal_action": set(
                    s.scalars(select(FormalAction.id).where(FormalAction.case_id.in_(cases)))
                ),
                "review": set(s.scalars(select(Review.id).where(Review.case_id.in_(cases)))),
                "appeal": set(s.scalars(select(Appeal.id).where(Appeal.case_id.in_(cases)))),
                "spoc_request": set(
                    s.scalars(select(SpocRequest.id).where(SpocRequest.customer_id == customer_id))
                ),
                "spoc_entry": set(
                    s.scalars(select(SpocEntry.id).where(SpocEntry.customer_id == customer_id))
                ),
                "pvp_consideration": set(
                    s.scalars(select(PvpConsideration.id).where(PvpConsideration.customer_id == customer_id))
                ),
                "pvp_entry": set(s.scalars(select(PvpEntry.id).where(PvpEntry.customer_id == customer_id))),
                "customer_vulnerability": set(
                    s.scalars(
                        select(CustomerVulnerability.id).where(
                            CustomerVulnerability.customer_id == customer_id
                        )
                    )
                ),
            }
        assert expected["incident"] and expected["stage_event"]
        dmo = demo_actors(url)["dmo"]
        tables = _json(_pack(dp.build_sar_pack(dmo, UnitOfWork(url), customer_id=customer_id)))["tables"]
        for name, ids in expected.items():
            assert _keys(name, tables[name]) == ids, name
        assert [c["id"] for c in tables["customer"]] == [customer_id]
        assert all(
            r["customer_id"] == customer_id
            for name in ("incident", "case_file", "letter", "spoc_entry", "pvp_entry", "audit_entry")
            for r in tables[name]
        )
    finally:
        dispose_engines()


def test_the_redaction_scanner_loads_only_the_customers_the_texts_could_name(
    db_url, uow, actors, two_customers, monkeypatch
):
    """Issue 18: the pack's cost follows the subject's records, not the number of customers. Many
    unrelated customers exist; the scanner is built from the one the free text names (by name,
    reference or phone), and the flags are those a scanner of every customer gives."""
    from core.models import Customer
    from core.policy import dataprotection as rules
    from core.services.dataprotection import subject_access

    subject, _other = two_customers
    with UnitOfWork(db_url) as u:
        u.session.add_all(
            [
                Customer(
                    housing_ref=f"NPH8{n:05d}",
                    first_name=f"Unrelated{n}",
                    last_name="Person",
                    phone=f"07700 8{n:05d}",
                    email=f"u{n}@example.org",
                    postcode="NN1 1AA",
                )
                for n in range(60)
            ]
        )
        u.commit()
    built = []

    class Spy(rules.RedactionScanner):
        def __init__(self, others, exclude_names=()):
            others = list(others)
            built.append(others)
            super().__init__(others, exclude_names)

    monkeypatch.setattr(subject_access.rules, "RedactionScanner", Spy)
    request = a_request(db_url, min(subject["customer"]), "sar")
    z = _pack(dp.build_sar_pack(actors["dmo"], uow(), request_id=request))
    assert [(p.first_name, p.last_name) for p in built[0]] == [("Bartholomew", "Quince")]
    flags = list(
        csv.DictReader(
            io.StringIO(z.read("FOR_DMO_REVIEW_remove_before_release/redactions.csv").decode("utf-8-sig"))
        )
    )
    with UnitOfWork(db_url) as u:  # the same flags as a scanner built from every other customer
        everyone = rules.RedactionScanner(
            [
                rules.Identity(
                    "another customer", c.first_name, c.last_name, c.title, c.housing_ref, c.email, c.phone
                )
                for c in u.session.query(Customer).where(Customer.id != min(subject["customer"]))
            ],
            exclude_names=["Siân O'Brien-Nkemelu", "Ms O'Brien-Nkemelu"],
        )
    texts = subject_access._row_texts(_json(z)["tables"])
    expected = {(t[0], str(t[1]), t[2], found, kind) for t in texts for found, kind in everyone.scan(t[3])}
    got = {
        (f["table"], f["row_id"], f["field"], f["found"], f["kind"])
        for f in flags
        if f["kind"].startswith("another")
    }
    assert got >= {e for e in expected if e[0] != "audit_entry"} and got
    assert {k for *_, k in got} >= {
        "another customer's name",
        "another customer's reference",
        "another customer's phone number",
    }


def test_a_repeated_request_is_refused_and_a_similar_open_one_is_pointed_out(
    db_url, uow, actors, two_customers
):
    """Issue 15: an identical second subject access request for the same person is not logged
    silently; a different one of the same kind is logged and the earlier one is listed."""
    subject, other = two_customers
    cid = min(subject["customer"])
    first = dp.log_request(actors["dmo"], cid, "sar", TODAY, True, "All my data", uow(), today=TODAY)
    with pytest.raises(PolicyError, match=f"already logged as request #{first}"):
        dp.log_request(actors["dmo"], cid, "sar", TODAY, True, "  all my   DATA ", uow(), today=TODAY)
    second = dp.log_request(actors["dmo"], cid, "sar", TODAY, True, "Only the letters", uow(), today=TODAY)
    assert [r.id for r in dp.open_requests_like(actors["dmo"], second, uow(), today=TODAY)] == [first]
    erasure = dp.log_request(actors["dmo"], cid, "erasure", TODAY, True, "All my data", uow(), today=TODAY)
    assert dp.open_requests_like(actors["dmo"], erasure, uow()) == []
    elsewhere = dp.log_request(
        actors["dmo"], min(other["customer"]), "sar", TODAY, True, "All my data", uow(), today=TODAY
    )
    assert dp.open_requests_like(actors["dmo"], elsewhere, uow()) == []
    with pytest.raises(PermissionDenied):
        dp.open_requests_like(actors["admin"], first, uow())
