"""Who is responsible (issue 15): a case's owner, and the named SPOC officer and their deputy.

A manager of the case's service area changes the owner, with a reason; the DMO hands a SPOC over
to another officer (at a SPOC review or at any time) and names a deputy for absences. Every change
is audited against the customer, so it shows in the audit log and the customer's history.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import RegisterStatus, Stage
from core.errors import NotFound, PolicyError, StaleRecord
from core.models import Case, Customer, SpocEntry, User
from core.permissions import Actor, Permission, require
from core.policy import work as rules
from core.services.registers._common import SPOC_OFFICER_ROLES
from core.validation import clean_text


@dataclass(frozen=True)
class CaseOwner:
    case_id: int
    housing_ref: str
    service_area_id: int
    owner_id: int | None
    owner_name: str
    owner_active: bool
    version: int


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str


def case_owner(actor: Actor, case_id: int, uow: UnitOfWork) -> CaseOwner:
    require(actor, Permission.VIEW_CASES)
    with uow:
        row = uow.session.execute(
            select(Case, Customer.housing_ref, User.name, User.active)
            .join(Customer, Customer.id == Case.customer_id)
            .outerjoin(User, User.id == Case.owner_id)
            .where(Case.id == case_id)
        ).first()
        if row is None:
            raise NotFound("No such case.")
        case, ref, name, active = row
        return CaseOwner(
            case.id, ref, case.service_area_id, case.owner_id, name or "", bool(active), case.version
        )


def owner_candidates(actor: Actor, case_id: int, uow: UnitOfWork) -> list[Person]:
    """Active team leaders / managers of the case's service area: who may own it."""
    require(actor, Permission.CHANGE_CASE_OWNER)
    with uow:
        area = uow.session.scalar(select(Case.service_area_id).where(Case.id == case_id))
        if area is None:
            raise NotFound("No such case.")
        rows = uow.session.execute(
            select(User.id, User.name)
            .where(
                User.service_area_id == area, User.active.is_(True), User.role.in_(tuple(rules.OWNER_ROLES))
            )
            .order_by(User.name)
        ).all()
        return [Person(user_id, name) for user_id, name in rows]


def change_owner(
    actor: Actor, case_id: int, new_owner_id: int, reason: str, expected_version: int, uow: UnitOfWork
) -> int:
    """Give the case to another team leader / manager of its area; returns the case's new version."""
    require(actor, Permission.CHANGE_CASE_OWNER)
    reason = clean_text(reason, "Reason for changing the owner", required=False)
    with uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            raise NotFound("No such case.")
        if case.version != expected_version:
            raise StaleRecord()
        new_owner = uow.session.get(User, new_owner_id)
        problems = rules.owner_change_problems(
            actor_area_id=actor.service_area_id,
            case_area_id=case.service_area_id,
            case_closed=case.stage == Stage.CLOSED,
            current_owner_id=case.owner_id,
            new_owner_id=new_owner_id,
            new_owner_role=new_owner.role if new_owner else None,
            new_owner_active=bool(new_owner and new_owner.active),
            new_owner_area_id=new_owner.service_area_id if new_owner else None,
            reason=reason,
        )
        if problems:
            raise PolicyError(" ".join(problems))
        before = {"owner_id": case.owner_id}
        case.owner_id = new_owner_id
        uow.flush()
        uow.audit(
            actor, "change_case_owner", case, before=before, after={"owner_id": new_owner_id}, reason=reason
        )
        uow.commit()
        return case.version


def _spoc_entry(uow: UnitOfWork, entry_id: int) -> SpocEntry:
    entry = uow.session.get(SpocEntry, entry_id)
    if entry is None or entry.status != RegisterStatus.ACTIVE:
        raise NotFound("No such SPOC on the register.")
    return entry


def _officer_problems(person: User | None, **extra: int | None) -> list[str]:
    return rules.spoc_officer_problems(
        role=person.role if person else None,
        active=bool(person and person.active),
        allowed_roles=SPOC_OFFICER_ROLES,
        **extra,
    )


def hand_over_spoc(actor: Actor, entry_id: int, new_officer_id: int, reason: str, uow: UnitOfWork) -> None:
    """The DMO names another SPOC officer (a handover, or the change agreed at a SPOC review)."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    reason = clean_text(reason, "Reason for the handover", required=False)
    with uow:
        entry = _spoc_entry(uow, entry_id)
        problems = _officer_problems(uow.session.get(User, new_officer_id))
        if new_officer_id == entry.spoc_user_id:
            problems.append("That person is already the named SPOC officer.")
        if not reason:
            problems.append("Give a reason for the handover.")
        if problems:
            raise PolicyError(" ".join(problems))
        before = {"spoc_user_id": entry.spoc_user_id, "deputy_user_id": entry.deputy_user_id}
        entry.spoc_user_id = new_officer_id
        if entry.deputy_user_id == new_officer_id:
            entry.deputy_user_id = None
        uow.audit(
            actor,
            "hand_over_spoc",
            entry,
            before=before,
            after={"spoc_user_id": new_officer_id, "deputy_user_id": entry.deputy_user_id},
            reason=reason,
        )
        uow.commit()


def name_spoc_deputy(
    actor: Actor, entry_id: int, deputy_id: int | None, reason: str, uow: UnitOfWork
) -> None:
    """Name (or, with None, remove) the officer who stands in during the SPOC officer's absences."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    reason = clean_text(reason, "Reason", required=False)
    with uow:
        entry = _spoc_entry(uow, entry_id)
        problems = (
            []
            if deputy_id is None
            else _officer_problems(
                uow.session.get(User, deputy_id), same_as=entry.spoc_user_id, person_id=deputy_id
            )
        )
        if problems:
            raise PolicyError(" ".join(problems))
        before = {"deputy_user_id": entry.deputy_user_id}
        entry.deputy_user_id = deputy_id
        uow.audit(
            actor,
            "name_spoc_deputy",
            entry,
            before=before,
            after={"deputy_user_id": deputy_id},
            reason=reason,
        )
        uow.commit()


def spoc_officer_choices(actor: Actor, uow: UnitOfWork) -> list[Person]:
    """Active staff who may act as a SPOC officer or deputy."""
    require(actor, Permission.MANAGE_SPOC_REGISTER)
    with uow:
        rows = uow.session.execute(
            select(User.id, User.name)
            .where(User.active.is_(True), User.role.in_(SPOC_OFFICER_ROLES))
            .order_by(User.name)
        ).all()
        return [Person(user_id, name) for user_id, name in rows]
