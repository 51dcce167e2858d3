"""What makes a piece of work urgent, and who may own a case (issue 15). Pure functions: the
deadlines themselves come from core.policy.deadlines and core.policy.registers, never re-stated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.enums import EvidenceSource, Role
from core.policy.incidents import counts_as_evidence
from core.policy.registers import due_soon_until

# A case is owned by a team leader / manager (issue 15).
OWNER_ROLES = frozenset({Role.TEAM_LEADER})
# Staff whose work is tied to a service area (the others are corporate roles).
AREA_ROLES = frozenset({Role.TEAM_LEADER, Role.ASSISTANT_DIRECTOR})


def review_horizon(today: dt.date) -> dt.date:
    """Reviews due up to this date are on the home page: the registers' "due in the next 30 days"."""
    return due_soon_until(today)


def counting_sources() -> tuple[EvidenceSource, ...]:
    """The evidence sources whose incidents count (hearsay never does): core.policy.incidents."""
    return tuple(source for source in EvidenceSource if counts_as_evidence(source))


def days_overdue(due_on: dt.date | None, today: dt.date) -> int:
    """Whole days past the deadline; 0 when not yet due or there is no deadline."""
    if due_on is None or due_on >= today:
        return 0
    return (today - due_on).days


def due_words(due_on: dt.date | None, today: dt.date) -> str:
    """ "3 days overdue", "due today", "due in 5 days", or "" without a deadline."""
    if due_on is None:
        return ""
    late = days_overdue(due_on, today)
    if late:
        return f"{late} day{'s' if late != 1 else ''} overdue"
    ahead = (due_on - today).days
    if ahead == 0:
        return "due today"
    return f"due in {ahead} day{'s' if ahead != 1 else ''}"


def owner_change_problems(
    *,
    actor_area_id: int | None,
    case_area_id: int,
    case_closed: bool,
    current_owner_id: int | None,
    new_owner_id: int,
    new_owner_role: Role | None,
    new_owner_active: bool,
    new_owner_area_id: int | None,
    reason: str,
) -> list[str]:
    """A manager of the case's service area gives it to another active team leader / manager of
    that area, with a reason."""
    problems: list[str] = []
    if actor_area_id != case_area_id:
        problems.append("Only a manager of the case's service area can change its owner.")
    if case_closed:
        problems.append("The case is closed: it needs no owner.")
    if new_owner_role not in OWNER_ROLES or new_owner_area_id != case_area_id:
        problems.append("The new owner must be a team leader or manager of the case's service area.")
    elif not new_owner_active:
        problems.append("The new owner's account is disabled.")
    if new_owner_id == current_owner_id:
        problems.append("That person already owns the case.")
    if not reason:
        problems.append("Give a reason for changing the owner.")
    return problems


def spoc_officer_problems(
    *,
    role: Role | None,
    active: bool,
    allowed_roles: Iterable[Role],
    same_as: int | None = None,
    person_id: int | None = None,
) -> list[str]:
    """A SPOC officer (or deputy) is an active member of staff in a role that may act as one."""
    if role is None or role not in set(allowed_roles):
        return ["That person cannot act as a single point of contact."]
    if not active:
        return ["That person's account is disabled."]
    if same_as is not None and same_as == person_id:
        return ["The deputy must be someone other than the named SPOC officer."]
    return []
