"""Helpers shared by the SPOC and PVP register modules."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import select

from core.db import UnitOfWork, changed_fields, snapshot
from core.enums import Channel, RegisterStatus, ReviewOutcome, Role
from core.errors import PolicyError
from core.models import (
    Review, User,
)
from core.permissions import Actor
from core.policy import registers as rules
from core.validation import parse_enum

SPOC_OFFICER_ROLES = (Role.TEAM_LEADER, Role.DMO, Role.HSW_OFFICER, Role.ASSISTANT_DIRECTOR)
RED_FLAG_COLUMNS = ("housing_ref", "flag_type", "start_date", "review_date")
STATUS_FILTERS = ("active", "due", "overdue", "ended", "pending", "rejected", "all")


def _today(today: Optional[dt.date]) -> dt.date:
    return today or dt.date.today()


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user_names(uow: UnitOfWork, ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(uow.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _channels(values: list) -> list[str]:
    return [parse_enum(Channel, v.value if isinstance(v, Channel) else v, "Channel").value
            for v in dict.fromkeys(values or [])]


def _matches(status_filter: str, active: bool, state: str, status: RegisterStatus) -> bool:
    if status_filter == "all":
        return True
    if status_filter == "active":
        return active
    if status_filter == "due":
        return active and state == rules.DUE_SOON
    if status_filter == "overdue":
        return active and state == rules.OVERDUE
    if status_filter == "ended":
        return status == RegisterStatus.ENDED
    if status_filter == "pending":
        return status == RegisterStatus.PENDING
    if status_filter == "rejected":
        return status == RegisterStatus.REJECTED
    raise PolicyError(f"Unknown register filter {status_filter!r}; use one of {', '.join(STATUS_FILTERS)}.")


def _record_review(uow: UnitOfWork, actor: Actor, entry, subject_type: str, case_id: Optional[int],
                   before: dict, held_on: dt.date, evidence_considered: str, outcome: ReviewOutcome,
                   next_review_due: Optional[dt.date], notes: str, actions: tuple[str, str]) -> Review:
    """The review row of a register entry, audited together with the entry's before/after."""
    review = Review(case_id=case_id, subject_type=subject_type, subject_id=entry.id, held_on=held_on,
                    reviewed_by_id=actor.user_id, evidence_considered=evidence_considered,
                    outcome=outcome, next_review_due=next_review_due, notes=notes)
    uow.session.add(review)
    review_action, entry_action = actions
    uow.audit(actor, review_action, review, customer_id=entry.customer_id, after=snapshot(review),
              reason=notes or outcome.label)
    old, new = changed_fields(before, snapshot(entry))
    uow.audit(actor, entry_action, entry, before=old, after=new, reason=notes or outcome.label)
    return review
