"""Reminders by email (issue 15), through a real SMTP server (aiosmtpd) started in the test:
the daily digest per user with counts in the subject and links in the body, immediate notices
when an appeal is assigned or a SPOC request reaches the DMO, retries after a failure, and
nothing ever sent twice."""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core import reminders
from core.db import UnitOfWork
from core.enums import Stage
from core.models import Case, OutboxMessage, StageEvent
from core.services import registers
from core.services.cases import record_appeal
from tests.scenarios import NOW
from tests.services.test_registers import TODAY, a_formal_case
from tests.work_seed import seed_work


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Try again later"
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, reminders.SmtpSettings("127.0.0.1", controller.port, "", "", "fair-treatment@nph.example")
    controller.stop()


def _by_recipient(inbox: Inbox) -> dict[str, Message]:
    return {to[0]: message for to, message in inbox.messages}


def test_the_daily_digest_goes_to_each_user_with_work_once(db_url, smtp, monkeypatch):
    monkeypatch.setenv("FT_APP_URL", "https://ft.nph.example")
    inbox, settings = smtp
    seed_work(db_url, TODAY)
    assert reminders.queue_digests(db_url, TODAY) == 5
    assert reminders.queue_digests(db_url, TODAY) == 0  # a second run the same day queues nothing
    result = reminders.send_pending(db_url, settings)
    assert (result.sent, result.failed) == (5, 0)
    mail = _by_recipient(inbox)
    assert set(mail) == {
        "teamleader@nph.example",
        "ad.housing@nph.example",
        "dmo@nph.example",
        "hsw@nph.example",
        "admin@nph.example",
    }
    assert mail["ad.housing@nph.example"]["Subject"] == "Fair Treatment: 3 to do, 1 overdue"
    body = mail["hsw@nph.example"].get_payload(decode=True).decode()
    assert "PVP reviews due (next 30 days or overdue): 1 (1 overdue)" in body
    assert "https://ft.nph.example/pvp_register?customer_id=" in body
    assert "NPH700001" in body and "Kowalski" not in body and "Siân" not in body
    assert reminders.send_pending(db_url, settings).sent == 0
    assert len(inbox.messages) == 5  # nothing sent twice


def test_a_failed_send_is_retried_later_and_then_sent_once(db_url, smtp):
    inbox, settings = smtp
    seed_work(db_url, TODAY)
    reminders.queue_digests(db_url, TODAY)
    inbox.refuse = True
    assert reminders.send_pending(db_url, settings).failed == 5
    with UnitOfWork(db_url) as uow:
        rows = uow.session.execute(
            select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
        ).all()
    assert {(status, attempts) for status, attempts, _ in rows} == {("pending", 1)}
    assert all("451" in error for *_, error in rows)
    inbox.refuse = False
    assert reminders.send_pending(db_url, settings).sent == 5
    assert reminders.send_pending(db_url, settings).sent == 0
    assert len(inbox.messages) == 5


def test_a_claimed_message_is_never_sent_by_a_second_sender(db_url, smtp):
    inbox, settings = smtp
    seed_work(db_url, TODAY)
    reminders.queue_digests(db_url, TODAY)
    with UnitOfWork(db_url) as uow:
        first = uow.session.scalar(select(func.min(OutboxMessage.id)))
    assert reminders._claim(db_url, first) is not None
    assert reminders._claim(db_url, first) is None  # the second claim loses
    assert reminders.send_pending(db_url, settings).sent == 4
    assert len(inbox.messages) == 4


def test_without_smtp_settings_messages_stay_in_the_outbox(db_url, monkeypatch):
    monkeypatch.delenv("FT_SMTP_HOST", raising=False)
    seed_work(db_url, TODAY)
    reminders.queue_digests(db_url, TODAY)
    result = reminders.send_pending(db_url)
    assert (result.sent, result.left_pending) == (0, 5)


def test_an_appeal_assigned_and_a_spoc_request_notify_at_once(db_url, uow, actors, smtp):
    inbox, settings = smtp
    tl = actors["teamleader"]
    case = a_formal_case(db_url, uow, tl)
    registers.request_spoc(tl, case["case"], "Seven teams a day.", case["counting"], uow(), now=NOW)
    with uow() as u:
        event = StageEvent(
            case_id=case["case"],
            from_stage=Stage.WARNING,
            to_stage=Stage.FORMAL,
            decided_on=TODAY - dt.timedelta(days=3),
            notified_on=TODAY - dt.timedelta(days=3),
            decided_by_id=tl.user_id,
        )
        u.session.add(event)
        u.commit()
        event_id, version = event.id, u.session.get(Case, case["case"]).version
    record_appeal(
        tl, case["case"], "stage_event", event_id, TODAY, "The decision was unfair.", version, uow()
    )
    assert reminders.send_pending(db_url, settings).sent == 2
    mail = _by_recipient(inbox)
    assert "SPOC request" in mail["dmo@nph.example"]["Subject"]
    assert set(mail) == {"dmo@nph.example", "ad.housing@nph.example"}
    assert "appeal" in mail["ad.housing@nph.example"]["Subject"]


def test_the_command_line_runs_both_steps(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("FT_SMTP_HOST", raising=False)
    seed_work(db_url, dt.date.today())
    assert reminders.main(["all"]) == 0
    out = capsys.readouterr().out
    assert "digests queued: 5" in out and "left in the outbox: 5" in out
