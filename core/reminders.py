"""Reminders by email (issue 15): `python -m core.reminders digest` queues each user's daily digest
of due and overdue work; `python -m core.reminders send` sends what is pending in the outbox over
SMTP (FT_SMTP_HOST, FT_SMTP_PORT, FT_SMTP_USER, FT_SMTP_PASSWORD, FT_SMTP_FROM). Without
FT_SMTP_HOST nothing is sent: the messages stay in the outbox, which an administrator reads on the
Outbox page. A scheduler (cron, a container job) runs `make reminders` (both) once a day.

Never sent twice: each message is claimed with one conditional UPDATE (pending -> sending) before
it is sent, so two senders running at once cannot both claim it; a failed send goes back to pending
(retried on the next run) until MAX_ATTEMPTS, then stays failed. A digest is queued once per user
per day (a unique key), however often `digest` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import smtplib
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from core.auth import actor_from_user
from core.db import UnitOfWork
from core.models import OutboxMessage, User, utcnow
from core.permissions import Permission
from core.services import notify, work

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
SEND_BATCH = 200
DIGEST_ITEMS_PER_LINE = 10


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("FT_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("FT_SMTP_PORT", "25")),
            user=os.environ.get("FT_SMTP_USER", ""),
            password=os.environ.get("FT_SMTP_PASSWORD", ""),
            sender=os.environ.get("FT_SMTP_FROM", "fair-treatment@localhost"),
        )


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int
    left_pending: int


def digest_text(mine: work.MyWork) -> tuple[str, str]:
    """Subject with the counts; body with one line per item and a link to where it is done."""
    subject = f"Fair Treatment: {mine.total} to do, {mine.overdue} overdue"
    parts = [f"You have {mine.total} things to do in Fair Treatment, {mine.overdue} of them overdue.", ""]
    for line in mine.lines:
        if not line.count:
            continue
        parts.append(f"{line.label}: {line.count}" + (f" ({line.overdue} overdue)" if line.overdue else ""))
        for item in line.items:
            when = f" - {item.due_text}" if item.due_text else ""
            parts.append(f"  * {item.title}{when}: {notify.app_link(item.page, item.query)}")
        if line.count > len(line.items):
            parts.append(f"  ... and {line.count - len(line.items)} more")
        parts.append("")
    parts.append(f"Your home page: {notify.app_link('pages/home.py')}")
    return subject, "\n".join(parts) + "\n"


def queue_digests(url: str | None = None, today: dt.date | None = None) -> int:
    """Queue today's digest for every active user with something to do; returns how many were queued."""
    today = today or dt.date.today()
    with UnitOfWork(url) as uow:
        users = [
            (actor_from_user(user), user.email)
            for user in uow.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
        ]
    queued = 0
    for actor, address in users:
        if not actor.can(Permission.VIEW_MY_WORK):
            continue
        mine = work.my_work(actor, UnitOfWork(url), today, limit=DIGEST_ITEMS_PER_LINE)
        if not mine.total:
            continue
        subject, body = digest_text(mine)
        with UnitOfWork(url) as uow:
            if notify.queue(
                uow,
                key=f"digest:{actor.user_id}:{today.isoformat()}",
                kind="digest",
                recipient_id=actor.user_id,
                to_address=address,
                subject=subject,
                body=body,
            ):
                uow.commit()
                queued += 1
    log.info("digests queued: %d", queued)
    return queued


@dataclass(frozen=True)
class Claimed:
    """A message this sender won: what it needs to send it."""

    message_id: int
    to_address: str
    subject: str
    body: str


def _claim(url: str | None, message_id: int) -> Claimed | None:
    """Pending -> sending in one conditional UPDATE: only one sender can win a message."""
    with UnitOfWork(url) as uow:
        claimed = cast(
            CursorResult[Any],
            uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
                .values(status="sending", claimed_at=utcnow(), attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            ),
        )
        if claimed.rowcount != 1:
            return None
        uow.commit()
        row = uow.session.execute(
            select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body).where(
                OutboxMessage.id == message_id
            )
        ).one()
        return Claimed(message_id, row.to_address, row.subject, row.body)


def _finish(url: str | None, message_id: int, error: str = "") -> None:
    with UnitOfWork(url) as uow:
        message = uow.session.get(OutboxMessage, message_id)
        if message is None:
            return
        if not error:
            message.status, message.sent_at, message.last_error = "sent", utcnow(), ""
        else:
            message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
            message.last_error = error[:300]
        uow.commit()


def _deliver(smtp: smtplib.SMTP, settings: SmtpSettings, message: Claimed) -> None:
    if not message.to_address:
        raise ValueError("the recipient has no email address")
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.sender, message.to_address, message.subject
    email.set_content(message.body)
    smtp.send_message(email)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=30)
    smtp.ehlo()
    if settings.user:
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        smtp.login(settings.user, settings.password)
    return smtp


def send_pending(url: str | None = None, settings: SmtpSettings | None = None) -> SendResult:
    """Send every pending message once; without SMTP settings leave them in the outbox."""
    settings = settings or SmtpSettings.from_env()
    with UnitOfWork(url) as uow:
        ids = uow.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id)
            .limit(SEND_BATCH)
        ).all()
    if settings is None:
        log.info("no FT_SMTP_HOST: %d messages left in the outbox", len(ids))
        return SendResult(0, 0, len(ids))
    sent = failed = 0
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as problem:
        log.warning(
            "SMTP server unreachable (%s): %d messages left pending", type(problem).__name__, len(ids)
        )
        return SendResult(0, 0, len(ids))
    with smtp:
        for message_id in ids:
            message = _claim(url, message_id)
            if message is None:
                continue  # another sender claimed it
            try:
                _deliver(smtp, settings, message)
            except (OSError, ValueError, smtplib.SMTPException) as problem:
                _finish(url, message_id, f"{type(problem).__name__}: {problem}")
                log.warning("outbox message %d not sent (%s)", message_id, type(problem).__name__)
                failed += 1
                continue
            _finish(url, message_id)
            sent += 1
    log.info("outbox: %d sent, %d failed", sent, failed)
    return SendResult(sent, failed, 0)


def main(argv: list[str] | None = None) -> int:
    from core.logging_config import configure_logging

    configure_logging()
    parser = argparse.ArgumentParser(prog="python -m core.reminders", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["digest", "send", "all"], nargs="?", default="all")
    args = parser.parse_args(argv)
    if args.command in ("digest", "all"):
        print(f"digests queued: {queue_digests()}")
    if args.command in ("send", "all"):
        result = send_pending()
        print(f"sent: {result.sent}, failed: {result.failed}, left in the outbox: {result.left_pending}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
