"""Case owners and SPOC officers (issue 15): a manager of the case's area changes the owner with
a reason (audited); a disabled owner's cases need a new owner on the manager's and the AD's home
pages; the arrangements view names the owner or the SPOC, never a disabled account; the DMO hands
a SPOC over and names a deputy. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.auth import hash_password
from core.db import UnitOfWork
from core.enums import FormalActionType, Role
from core.errors import PermissionDenied, PolicyError, StaleRecord
from core.models import AuditEntry, Case, FormalAction, StageEvent, User
from core.services import arrangements, ownership, registers, work
from core.services.arrangements import NO_SPOC_OFFICER
from tests.scenarios import NOW
from tests.services.test_registers import TODAY, a_formal_case, approve
from tests.work_seed import seed_work


def _set_active(db_url: str, user_id: int, active: bool) -> None:
    with UnitOfWork(db_url) as uow:
        uow.session.get_one(User, user_id).active = active
        uow.commit()


def _second_leader(db_url: str, area_id: int) -> User:
    with UnitOfWork(db_url) as uow:
        user = User(
            username="teamleader.b",
            name="Bola Adeyemi",
            email="b@nph.example",
            role=Role.TEAM_LEADER,
            password_hash=hash_password("x-unused-password"),
            service_area_id=area_id,
        )
        uow.session.add(user)
        uow.commit()
        return user


def _version(db_url: str, case_id: int) -> int:
    with UnitOfWork(db_url) as uow:
        return uow.session.get_one(Case, case_id).version


@pytest.fixture
def seeded(db_url):
    return seed_work(db_url, TODAY)


def _restrict(db_url: str, case_id: int) -> None:
    with UnitOfWork(db_url) as uow:
        event = uow.session.scalar(select(StageEvent.id).where(StageEvent.case_id == case_id))
        uow.session.add(
            FormalAction(
                case_id=case_id,
                stage_event_id=event,
                kind=FormalActionType.ONE_CHANNEL,
                starts_on=TODAY,
                review_due=TODAY + dt.timedelta(days=120),
            )
        )
        uow.commit()


def test_a_manager_of_the_area_changes_the_owner_with_a_reason_and_it_is_audited(db_url, actors, seeded):
    other = _second_leader(db_url, seeded.housing_id)
    version = ownership.change_owner(
        actors["teamleader"],
        seeded.formal_case_id,
        other.id,
        "Covering leave.",
        _version(db_url, seeded.formal_case_id),
        UnitOfWork(db_url),
    )
    assert (
        ownership.case_owner(actors["teamleader"], seeded.formal_case_id, UnitOfWork(db_url)).owner_id
        == other.id
    )
    assert version == _version(db_url, seeded.formal_case_id)
    with UnitOfWork(db_url) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "change_case_owner")).one()
        assert (entry.before, entry.after, entry.reason) == (
            {"owner_id": actors["teamleader"].user_id},
            {"owner_id": other.id},
            "Covering leave.",
        )
        assert entry.customer_id == seeded.formal_customer_id  # so it is on the customer's history


def test_owner_changes_are_refused_outside_the_area_without_a_reason_or_to_a_disabled_account(
    db_url, actors, seeded
):
    other = _second_leader(db_url, seeded.housing_id)
    version = _version(db_url, seeded.formal_case_id)
    with pytest.raises(PolicyError, match="service area"):
        ownership.change_owner(
            actors["teamleader2"], seeded.formal_case_id, other.id, "Mine now.", version, UnitOfWork(db_url)
        )
    with pytest.raises(PolicyError, match="reason"):
        ownership.change_owner(
            actors["teamleader"], seeded.formal_case_id, other.id, " ", version, UnitOfWork(db_url)
        )
    with pytest.raises(PolicyError, match="disabled"):
        ownership.change_owner(
            actors["teamleader"],
            seeded.formal_case_id,
            seeded.old_owner_id,
            "Back.",
            version,
            UnitOfWork(db_url),
        )
    with pytest.raises(StaleRecord):
        ownership.change_owner(
            actors["teamleader"], seeded.formal_case_id, other.id, "Leave.", version - 1, UnitOfWork(db_url)
        )
    with pytest.raises(PermissionDenied):
        ownership.change_owner(
            actors["dmo"], seeded.formal_case_id, other.id, "Leave.", version, UnitOfWork(db_url)
        )


def test_a_disabled_owners_cases_need_a_new_owner_for_the_manager_and_the_area_ad(db_url, actors, seeded):
    def needing(username: str) -> list[int]:
        lines = work.my_work(actors[username], UnitOfWork(db_url), TODAY).lines
        return [item.ref_id for line in lines if line.kind == "needs_owner" for item in line.items]

    assert needing("teamleader") == needing("ad.housing") == [seeded.orphan_case_id]
    assert needing("teamleader2") == needing("ad.repairs") == []
    _set_active(db_url, actors["teamleader"].user_id, False)
    assert sorted(needing("ad.housing")) == sorted([seeded.formal_case_id, seeded.orphan_case_id])
    _set_active(db_url, actors["teamleader"].user_id, True)
    ownership.change_owner(
        actors["ad.housing"],
        seeded.orphan_case_id,
        actors["teamleader"].user_id,
        "Former leader has left.",
        _version(db_url, seeded.orphan_case_id),
        UnitOfWork(db_url),
    )
    assert needing("ad.housing") == []


def test_the_arrangements_view_names_the_owner_never_a_disabled_account(db_url, actors, seeded):
    _restrict(db_url, seeded.formal_case_id)

    def contacts() -> list[str]:
        view = arrangements.arrangements_for(
            actors["contractor"], seeded.formal_customer_id, UnitOfWork(db_url), today=TODAY
        )
        return [c.name for c in view.whom_to_contact]

    assert contacts() == [actors["teamleader"].name, actors["hsw"].name]  # the owner; the PVP approver
    _set_active(db_url, actors["teamleader"].user_id, False)
    assert actors["teamleader"].name not in contacts()
    other = _second_leader(db_url, seeded.housing_id)
    ownership.change_owner(
        actors["ad.housing"],
        seeded.formal_case_id,
        other.id,
        "Leader left.",
        _version(db_url, seeded.formal_case_id),
        UnitOfWork(db_url),
    )
    assert contacts() == ["Bola Adeyemi", actors["hsw"].name]


@pytest.fixture
def spoc(db_url, uow, actors):
    case = a_formal_case(db_url, uow, actors["teamleader"])
    request_id = registers.request_spoc(
        actors["teamleader"], case["case"], "Seven teams a day.", case["counting"], uow(), now=NOW
    )
    decision = approve(actors, uow, request_id)
    return case["customer"], decision.entry_id


def _spoc_contact(db_url, actors, customer_id) -> str:
    view = arrangements.arrangements_for(actors["contractor"], customer_id, UnitOfWork(db_url), today=TODAY)
    return view.single_point_of_contact[0].contact


def test_the_dmo_hands_a_spoc_over_and_names_a_deputy_for_absences(db_url, actors, spoc):
    customer, entry = spoc
    assert _spoc_contact(db_url, actors, customer) == actors["teamleader"].name
    ownership.hand_over_spoc(
        actors["dmo"], entry, actors["ad.housing"].user_id, "Agreed at the SPOC review.", UnitOfWork(db_url)
    )
    assert _spoc_contact(db_url, actors, customer) == actors["ad.housing"].name
    ownership.name_spoc_deputy(
        actors["dmo"], entry, actors["teamleader"].user_id, "Cover for leave.", UnitOfWork(db_url)
    )
    _set_active(db_url, actors["ad.housing"].user_id, False)
    assert (
        _spoc_contact(db_url, actors, customer) == actors["teamleader"].name
    )  # the deputy, not the disabled
    _set_active(db_url, actors["teamleader"].user_id, False)
    assert _spoc_contact(db_url, actors, customer) == NO_SPOC_OFFICER
    with UnitOfWork(db_url) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "spoc_entry")
        ).all()
    assert {"hand_over_spoc", "name_spoc_deputy"} <= set(actions)


def test_spoc_handover_refusals(db_url, actors, spoc):
    _customer, entry = spoc
    with pytest.raises(PermissionDenied):
        ownership.hand_over_spoc(
            actors["teamleader"], entry, actors["dmo"].user_id, "Mine.", UnitOfWork(db_url)
        )
    with pytest.raises(PolicyError, match="cannot act"):
        ownership.hand_over_spoc(
            actors["dmo"], entry, actors["contractor"].user_id, "Why not.", UnitOfWork(db_url)
        )
    with pytest.raises(PolicyError, match="already"):
        ownership.hand_over_spoc(
            actors["dmo"], entry, actors["teamleader"].user_id, "Same.", UnitOfWork(db_url)
        )
    with pytest.raises(PolicyError, match="someone other"):
        ownership.name_spoc_deputy(actors["dmo"], entry, actors["teamleader"].user_id, "", UnitOfWork(db_url))


def test_the_migration_gives_existing_cases_an_owner(tmp_path):
    """0008 on a database with data (SQLite, where adding a column must not rebuild the table):
    first stage event's decider, else first incident's recorder, else the opener."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from db.setup import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO service_area (id, name, is_corporate_ict) VALUES (1, 'A', 0)"))
        for i in (1, 2, 3):
            c.execute(
                text(
                    "INSERT INTO app_user (id, username, name, email, password_hash, role, active, created_at) "
                    f"VALUES ({i}, 'u{i}', 'U{i}', '', 'x', 'team_leader', 1, '2026-01-01')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO customer (id, housing_ref, title, first_name, last_name, address_line1, "
                    "address_line2, town, postcode, phone, email, preferred_contact, search_text, legal_hold, "
                    "legal_hold_reason, "
                    f"created_at) VALUES ({i}, 'R{i}', '', 'a', 'b', '', '', '', '', '', '', 'phone', '', 0, '', "
                    "'2026-01-01')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO case_file (id, customer_id, service_area_id, stage, opened_at, opened_by_id, "
                    f"closure_reason, version) VALUES ({i}, {i}, 1, 'informal', '2026-01-01', 1, '', 1)"
                )
            )
        c.execute(
            text(
                "INSERT INTO stage_event (id, case_id, from_stage, to_stage, decided_on, decided_by_id, reason, "
                "skip_reason, underlying_issues_considered, underlying_issues_notes, adjustments, details, "
                "recorded_at) "
                "VALUES (1, 1, 'none', 'informal', '2026-01-02', 2, '', '', 0, '', '', '{}', '2026-01-02')"
            )
        )
        c.execute(
            text(
                "INSERT INTO incident (id, customer_id, case_id, service_area_id, occurred_at, channel, category, "
                "description, evidence_source, third_party_name, witnesses, staff_affected, violence_or_threat, "
                "police_reference, police_not_referred_reason, in_person_adjustment, service_failure, recorded_by_id, "
                "recorded_at) VALUES (1, 2, 2, 1, '2026-01-01', 'phone', 'aggressive', 'x', 'first_hand', '', '', '', "
                "0, '', '', 0, 0, 3, '2026-01-01')"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as c:
        assert c.execute(text("SELECT id, owner_id FROM case_file ORDER BY id")).all() == [
            (1, 2),
            (2, 3),
            (3, 1),
        ]
        assert c.execute(text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
