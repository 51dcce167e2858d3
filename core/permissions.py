"""Who may do what (DOMAIN.md, 'People and roles'). Every service checks these first;
the navigation in app.py uses the same table so a role only sees pages it may use."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from core.enums import Role
from core.errors import PermissionDenied


class Permission(enum.StrEnum):
    VIEW_CASES = "view_cases"  # read customer records, incidents, timelines
    RECORD_INCIDENTS = "record_incidents"  # create/edit customers and incidents
    RUN_CASES = "run_cases"  # stage decisions, reviews, formal actions
    RECORD_APPEALS = "record_appeals"  # log an appeal received
    DECIDE_APPEALS = "decide_appeals"
    DRAFT_LETTERS = "draft_letters"
    REQUEST_SPOC = "request_spoc"
    MANAGE_SPOC_REGISTER = "manage_spoc_register"
    PROPOSE_PVP = "propose_pvp"
    MANAGE_PVP_REGISTER = "manage_pvp_register"
    VIEW_REGISTERS = "view_registers"
    VIEW_ARRANGEMENTS = "view_arrangements"  # need-to-know view: arrangements only
    VIEW_MONITORING = "view_monitoring"
    HANDLE_DATA_REQUESTS = "handle_data_requests"
    VIEW_AUDIT = "view_audit"
    VIEW_DISCLOSURES = "view_disclosures"
    MANAGE_USERS = "manage_users"
    VIEW_MY_WORK = "view_my_work"  # issue 15: the "My work" home page (every role with work to do)
    CHANGE_CASE_OWNER = "change_case_owner"  # issue 15: a manager of the case's area
    READ_OUTBOX = "read_outbox"  # issue 15: the email outbox an administrator reads


P = Permission
# Added to every role with work of its own (the contractor's view has none) below.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TEAM_LEADER: frozenset(
        {
            P.VIEW_CASES,
            P.RECORD_INCIDENTS,
            P.RUN_CASES,
            P.RECORD_APPEALS,
            P.DRAFT_LETTERS,
            P.REQUEST_SPOC,
            P.PROPOSE_PVP,
            P.VIEW_REGISTERS,
            P.VIEW_MONITORING,
            P.VIEW_ARRANGEMENTS,
            P.CHANGE_CASE_OWNER,
        }
    ),
    Role.DMO: frozenset(
        {
            P.VIEW_CASES,
            P.RECORD_APPEALS,  # issue 13: a DMO who receives an appeal directly logs it
            P.MANAGE_SPOC_REGISTER,
            P.VIEW_REGISTERS,
            P.HANDLE_DATA_REQUESTS,
            P.VIEW_AUDIT,
            P.VIEW_DISCLOSURES,
            P.DRAFT_LETTERS,
            P.VIEW_ARRANGEMENTS,
        }
    ),
    Role.HSW_OFFICER: frozenset(
        {
            P.VIEW_CASES,
            P.MANAGE_PVP_REGISTER,
            P.VIEW_REGISTERS,
            P.DRAFT_LETTERS,
            P.VIEW_ARRANGEMENTS,
        }
    ),
    Role.ASSISTANT_DIRECTOR: frozenset(
        {
            P.VIEW_CASES,
            P.DECIDE_APPEALS,
            P.RECORD_APPEALS,
            P.VIEW_MONITORING,
            P.VIEW_REGISTERS,
            P.DRAFT_LETTERS,
            P.VIEW_ARRANGEMENTS,
            P.CHANGE_CASE_OWNER,
        }
    ),
    Role.VIEWER: frozenset({P.VIEW_ARRANGEMENTS}),
    Role.ADMIN: frozenset({P.MANAGE_USERS, P.VIEW_AUDIT, P.READ_OUTBOX}),
}
ROLE_PERMISSIONS = {
    role: perms | {P.VIEW_MY_WORK} if role != Role.VIEWER else perms
    for role, perms in ROLE_PERMISSIONS.items()
}


@dataclass(frozen=True)
class Actor:
    """The signed-in user acting: the first argument of every service function."""

    user_id: int
    username: str
    name: str
    role: Role
    service_area_id: int | None = None
    session_generation: int = 0  # the user's number when this session signed in
    must_change_password: bool = False  # signed in with a one-time password

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())


def require(actor: Actor, permission: Permission) -> None:
    """First line of every service: refuse a role that may not do this."""
    if actor is None or not actor.can(permission):
        role = actor.role.label if actor else "Signed-out user"
        raise PermissionDenied(f"{role} may not do this ({permission.value.replace('_', ' ')}).")


# Clause 5: the Informal and Warning Stages are managed within service areas by team leaders and
# managers. They act on their own area's cases and incidents (and read every area's, since the
# behaviour history matters). The DMO, the H&S Well-being Officer and the Assistant Directors keep
# the reach their roles need: the register officers work across areas, and who decides an appeal
# is the appeal rule's to say (core.policy.appeals), not the case's area.
AREA_BOUND_ROLES = frozenset({Role.TEAM_LEADER})


def acts_in_area(actor: Actor, service_area_id: int | None) -> bool:
    """May the actor change a record of this service area? A team leader with no service area
    has no area to act in."""
    if actor.role not in AREA_BOUND_ROLES:
        return True
    return actor.service_area_id is not None and actor.service_area_id == service_area_id


def require_area(actor: Actor, service_area_id: int | None, what: str = "act on this case") -> None:
    """Refuse a team leader or manager acting on another service area's record."""
    if not acts_in_area(actor, service_area_id):
        raise PermissionDenied(
            f"This belongs to another service area: you can read it but not {what}. "
            "Ask a team leader or manager of that service area (clause 5)."
        )
