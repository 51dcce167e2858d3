"""Data-protection pages (issue 8): the DMO handles requests; DMO and administrator read the
audit and access logs; a team leader reaches neither."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import UnitOfWork
from core.enums import DataRequestKind
from core.models import AuditEntry, DataRequest
from tests.pages.conftest import app_as
from tests.services.dp_scenarios import a_full_history, a_request


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _requests(url):
    with UnitOfWork(url) as u:
        return u.session.scalar(select(func.count()).select_from(DataRequest))


@pytest.fixture
def dp_db(app_db):
    history = a_full_history(app_db, "NPH610001", "Olga", "Pagetest", active=True)
    customer_id = min(history["customer"])
    late = a_request(app_db, customer_id, "sar", received_on=dt.date.today() - dt.timedelta(days=60))
    erase = a_request(app_db, customer_id, "erasure")
    return {"customer_id": customer_id, "late_sar": late, "erasure": erase, "url": app_db}


def test_dmo_sees_open_requests_with_overdue_ones_in_red(dp_db):
    at = app_as("dmo", "pages/data_requests.py")
    assert not at.exception
    assert [h.value for h in at.header] == ["Data requests"]
    assert any(
        "past their one-month due date" in e.value and f"#{dp_db['late_sar']}" in e.value for e in at.error
    )
    assert at.dataframe


def test_dmo_logs_a_request(dp_db):
    at = app_as("dmo", "pages/data_requests.py")
    before = _requests(dp_db["url"])
    at.text_input(key="log_q").input("NPH610001").run()
    assert at.selectbox(key="log_c").value["id"] == dp_db["customer_id"]
    form_area = next(t for t in at.text_area if t.label == "What is asked for or disputed")
    form_area.input("Copy of all my data")
    next(c for c in at.checkbox if c.label == "Requester's identity checked").check()
    _button(at, "Log request").click().run()
    assert not at.exception
    assert any("logged" in s.value for s in at.success)
    assert _requests(dp_db["url"]) == before + 1


def test_dmo_builds_the_sar_pack_with_a_download(dp_db):
    at = app_as("dmo", "pages/data_requests.py")
    _button(at, "Build the subject access pack").click().run()
    assert not at.exception
    request_id, pack = at.session_state["sar_pack"]
    assert request_id == dp_db["late_sar"] and pack[:2] == b"PK"
    assert any("Pack ready" in s.value for s in at.success)


def test_erasure_under_an_active_restriction_is_refused_and_the_page_says_why(dp_db):
    at = app_as("dmo", "pages/data_requests.py")
    assert any(
        "formal-stage restriction" in w.value.replace("\\", "") for w in at.warning
    )  # escaped Markdown
    next(c for c in at.checkbox if c.label.startswith("I have checked this request")).check()
    _button(at, "Erase personal data").click().run()
    assert not at.exception
    assert any("cannot be erased" in e.value and "SPOC register" in e.value for e in at.error)
    with UnitOfWork(dp_db["url"]) as u:
        assert u.session.get(DataRequest, dp_db["erasure"]).status == "open"


@pytest.mark.parametrize("username", ["dmo", "admin"])
def test_audit_log_page_shows_entries_and_exports(dp_db, username):
    at = app_as(username, "pages/audit_log.py")
    assert not at.exception
    assert [h.value for h in at.header] == ["Audit log"]
    assert len(at.dataframe) >= 2  # audit trail and access log
    _button(at, "Prepare CSV export of these entries").click().run()
    assert not at.exception
    name, data, _ = at.session_state["audit_export"]
    assert name.startswith("audit_log_") and data
    with UnitOfWork(dp_db["url"]) as u:
        assert (
            u.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "export", AuditEntry.username == username)
            )
            == 1
        )


def test_audit_filters_narrow_the_trail(dp_db):
    at = app_as("dmo", "pages/audit_log.py")
    at.selectbox[0].select("teamleader")
    _button(at, "Show").click().run()
    assert not at.exception
    assert set(at.dataframe[0].value["User"]) == {"teamleader"}


@pytest.mark.parametrize(
    "username, page",
    [
        ("teamleader", "pages/data_requests.py"),
        ("teamleader", "pages/audit_log.py"),
        ("admin", "pages/data_requests.py"),
        ("hsw", "pages/audit_log.py"),
    ],
)
def test_other_roles_cannot_reach_the_pages(app_db, username, page):
    at = app_as(username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


HOSTILE = "[click here](http://evil.example/x) ![t](http://evil.example/t.png) <b>bold</b>"


def test_a_hostile_legal_hold_reason_renders_inert_in_the_erasure_warning_and_refusal(app_db):
    """Issue 14, item 7: the reason someone typed is escaped wherever it is shown as Markdown."""
    from core.services import dataprotection as dp
    from tests.scenarios import demo_actors

    history = a_full_history(app_db, "NPH610009", "Hana", "Hostile")
    cid = min(history["customer"])
    dp.set_legal_hold(demo_actors(app_db)["dmo"], cid, True, HOSTILE, UnitOfWork(app_db))
    a_request(app_db, cid, "erasure")
    at = app_as("dmo", "pages/data_requests.py")
    warning = next(w.value for w in at.warning if "legal hold" in w.value)
    assert "](http" not in warning and "<b>" not in warning and "\\[click here\\]" in warning
    next(c for c in at.checkbox if c.label.startswith("I have checked this request")).check()
    _button(at, "Erase personal data").click().run()
    refusal = next(e.value for e in at.error if "cannot be erased" in e.value)
    assert "](http" not in refusal and "<b>" not in refusal


def test_a_logged_request_shows_at_once_in_its_tab_with_any_similar_open_request(dp_db):
    """Issue 15: no stale 'No open rectification requests.' beside 'Request #N logged.', and a
    second subject access request for the same person is pointed out."""
    at = app_as("dmo", "pages/data_requests.py")
    assert any(i.value == "No open rectification requests." for i in at.info)
    at.text_input(key="log_q").input("NPH610001").run()
    next(s for s in at.selectbox if s.label == "Kind of request").set_value(DataRequestKind.RECTIFICATION)
    next(t for t in at.text_area if t.label == "What is asked for or disputed").input("My phone is wrong")
    _button(at, "Log request").click().run()
    assert not at.exception
    assert any("logged" in s.value for s in at.success)
    assert not any(i.value == "No open rectification requests." for i in at.info)
    assert not at.warning or not any("already has an open" in w.value for w in at.warning)
    at.text_input(key="log_q").input("NPH610001").run()
    next(t for t in at.text_area if t.label == "What is asked for or disputed").input("A copy of my file")
    _button(at, "Log request").click().run()  # a SAR: one is already open for her
    assert any("logged" in s.value for s in at.success)
    assert any(
        "already has an open subject access request" in w.value and f"#{dp_db['late_sar']}" in w.value
        for w in at.warning
    )


def _entries(url, count, customer_id=None):
    with UnitOfWork(url) as u:
        for n in range(count):
            u.session.add(
                AuditEntry(
                    username="teamleader",
                    user_id=2,
                    action="amend_customer",
                    entity_type="customer",
                    entity_id=customer_id,
                    customer_id=customer_id,
                    before={"phone": f"0{n}"},
                    after={"phone": f"1{n}"},
                    reason="typo",
                    at=dt.datetime(2026, 7, 1, 11, n, tzinfo=dt.UTC),
                )
            )
        u.commit()


def test_audit_page_pages_through_the_trail_in_uk_local_time(app_db):
    """Issue 18: pages of the trail with a cursor; issue 15: UK local time, no 'None' cells."""
    _entries(app_db, 25)
    at = app_as("dmo", "pages/audit_log.py")
    at.date_input[1].set_value(dt.date(2026, 7, 1))
    at.date_input[0].set_value(dt.date(2026, 7, 1))
    at.number_input[0].set_value(10)
    _button(at, "Show").click().run()
    frame = at.dataframe[0].value
    assert len(frame) == 10 and frame["When (UK)"].iloc[0] == "01 Jul 2026 12:24:00"  # 11:24 UTC = BST
    assert "None" not in frame.astype(str).to_numpy().ravel().tolist()
    shown = list(frame["Before"])
    _button(at, "Older entries").click().run()
    assert not at.exception
    second = at.dataframe[0].value
    assert len(second) == 10 and not set(second["Before"]) & set(shown)
    _button(at, "Older entries").click().run()
    assert len(at.dataframe[0].value) == 5 and not any(b.label == "Older entries" for b in at.button)
    _button(at, "Newer entries").click().run()
    assert list(at.dataframe[0].value["Before"]) == list(second["Before"])


def test_audit_page_for_the_administrator_withholds_case_content(app_db):
    _entries(app_db, 1)
    at = app_as("admin", "pages/audit_log.py")
    frame = at.dataframe[0].value
    row = frame[frame["Action"] == "amend_customer"].iloc[0]
    assert row["User"] == "teamleader" and "withheld" in row["Before"] and "withheld" in row["Reason"]


def test_audit_customer_filter_uses_the_customer_picker(dp_db):
    _entries(dp_db["url"], 2)
    at = app_as("dmo", "pages/audit_log.py")
    next(c for c in at.checkbox if c.label == "Only one customer").check().run()
    at.text_input(key="audit_customer_search").input("NPH610001").run()
    assert not at.exception
    assert set(at.dataframe[0].value["Customer"]) == {"NPH610001"}


def test_dmo_amends_a_disputed_field_from_the_rectification_tab(dp_db):
    request = a_request(
        dp_db["url"], dp_db["customer_id"], "rectification", details="My phone number is wrong"
    )
    at = app_as("dmo", "pages/data_requests.py")
    assert at.selectbox(key="rect_pick").value.id == request
    assert any(t.value == "Disputed: My phone number is wrong" for t in at.text)
    at.selectbox(key="rect_field").set_value("phone").run()
    next(t for t in at.text_area if t.label.startswith("New value")).input("07700 900999")
    next(t for t in at.text_area if t.label == "Reason for the decision").input("Customer showed a bill")
    _button(at, "Record decision").click().run()
    assert not at.exception
    assert any(f"Decision on request #{request} recorded (amend)" in s.value for s in at.success)
    with UnitOfWork(dp_db["url"]) as u:
        from core.models import Customer

        assert u.session.get(Customer, dp_db["customer_id"]).phone == "07700 900999"
        assert u.session.get(DataRequest, request).status == "closed"
