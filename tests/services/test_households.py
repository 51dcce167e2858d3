"""Issue 16 item 4: households at an address and the visit-planning view (clause 4.2)."""

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from core.db import UnitOfWork
from core.enums import RegisterStatus
from core.errors import NotFound, PermissionDenied
from core.models import DisclosureLog, PvpEntry, User
from core.services import households
from tests.scenarios import a_customer

TODAY = dt.date(2026, 11, 20)
REASON = "Threatened an officer with a knife on 3 November"


def a_pvp_marker(url: str, customer_id: int) -> None:
    with UnitOfWork(url) as uow:
        hsw = uow.session.scalar(select(User.id).where(User.username == "hsw"))
        uow.session.add(
            PvpEntry(
                customer_id=customer_id,
                proposed_by_id=hsw,
                reasons=REASON,
                arrangements="Visit in pairs; do not enter the property",
                two_officers_on_visits=True,
                status=RegisterStatus.ACTIVE,
                approved_by_id=hsw,
                starts_on=TODAY - dt.timedelta(days=10),
                review_due=TODAY + dt.timedelta(days=170),
            )
        )
        uow.commit()


@pytest.fixture
def joint_tenants(db_url, uow, actors):
    tl = actors["teamleader"]
    first = a_customer(db_url, tl, ref="NPH800001", first="Ann", last="Abington")
    second = a_customer(db_url, tl, ref="NPH800002", first="Bob", last="Abington")
    for customer_id in (first, second):
        households.add_to_household(
            tl,
            customer_id,
            "prop 12-abs",
            uow(),
            role="joint_tenant",
            address_line1="12 Abington Square",
            postcode="NN1 4AA",
        )
    return first, second


def test_a_pvp_marker_on_one_joint_tenant_shows_on_a_visit_booked_under_the_other(
    db_url, uow, actors, joint_tenants
):
    first, second = joint_tenants
    a_pvp_marker(db_url, first)
    viewer = next(a for a in actors.values() if a.role.value == "viewer")
    plan = households.visit_plan(viewer, uow(), customer_id=second, today=TODAY)
    assert plan.property_ref == "PROP12-ABS" and plan.address.startswith("12 Abington Square")
    assert plan.two_officers_on_visits and plan.anything_to_know
    [note] = plan.notes
    assert note.name.endswith("Ann Abington") and note.red_flag
    assert note.visit_arrangements == ("Visit in pairs; do not enter the property",)
    assert REASON not in repr(dataclasses.asdict(plan))  # never the reasons
    with UnitOfWork(db_url) as w:  # the contractor's look-up is on the disclosure log
        logged = w.session.scalars(
            select(DisclosureLog.customer_id).where(DisclosureLog.viewer_id == viewer.user_id)
        )
        assert list(logged) == [first]


def test_the_household_lists_both_tenants_and_the_address_view_finds_it_by_reference(
    db_url, uow, actors, joint_tenants
):
    first, second = joint_tenants
    view = households.household_of(actors["teamleader"], first, uow())
    assert {m.customer_id for m in view.members} == {first, second}
    assert {m.role for m in view.members} == {"Joint tenant"}
    plan = households.visit_plan(actors["teamleader"], uow(), property_ref="PROP12-ABS", today=TODAY)
    assert not plan.anything_to_know and not plan.two_officers_on_visits


def test_moving_a_customer_leaves_the_old_household(db_url, uow, actors, joint_tenants):
    first, second = joint_tenants
    households.add_to_household(actors["teamleader"], second, "PROP99", uow())
    assert [m.customer_id for m in households.household_of(actors["teamleader"], first, uow()).members] == [
        first
    ]


def test_an_unknown_address_and_a_role_without_access(db_url, uow, actors, joint_tenants):
    with pytest.raises(NotFound):
        households.visit_plan(actors["teamleader"], uow(), property_ref="NOPE", today=TODAY)
    admin = next(a for a in actors.values() if a.role.value == "admin")
    with pytest.raises(PermissionDenied):
        households.visit_plan(admin, uow(), property_ref="PROP12-ABS", today=TODAY)
