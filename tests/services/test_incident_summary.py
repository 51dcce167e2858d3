"""The incident_daily summary (migration 0003) stays exactly equal to a recount of the incident
and incident_behaviour rows after every kind of write, on SQLite and PostgreSQL: logging,
amending, retention deletion, deletion through the ORM and in bulk, bulk inserts and updates,
and the migration's own backfill of rows that existed before it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from alembic import command
from sqlalchemy import delete, insert, select, update

from core.db import UnitOfWork, dispose_engines, get_engine
from core.enums import Behaviour, Category
from core.models import Incident, IncidentBehaviour, IncidentDaily
from core.services import dataprotection as dp
from core.services import monitoring
from core.services.incidents import NewIncident, amend_incident
from db.setup import alembic_config
from tests.scenarios import NOW, a_customer, an_incident, area_id
from tests.services.dp_scenarios import TODAY, a_full_history


def recount(url: str) -> Counter:
    """What the summary should hold, counted in Python from the rows themselves."""
    expected: Counter = Counter()
    with UnitOfWork(url) as u:
        s = u.session
        key = {
            i.id: (i.occurred_at.astimezone(dt.UTC).date(), i.service_area_id, i.category.value)
            for i in s.scalars(select(Incident))
        }
        for k in key.values():
            expected[k + ("",)] += 1
        for b in s.scalars(select(IncidentBehaviour)):
            expected[key[b.incident_id] + (b.behaviour.value,)] += 1
    return expected


def summary(url: str) -> Counter:
    with UnitOfWork(url) as u:
        rows = u.session.execute(
            select(
                IncidentDaily.day,
                IncidentDaily.service_area_id,
                IncidentDaily.category,
                IncidentDaily.behaviour,
                IncidentDaily.incidents,
            )
        ).all()
    assert all(n > 0 for *_, n in rows), "a summary row fell to zero or below and was kept"
    return Counter({(day, area, category, behaviour): n for day, area, category, behaviour, n in rows})


def assert_exact(url: str) -> Counter:
    held = summary(url)
    assert held == recount(url)
    return held


def change(customer_id: int, **overrides) -> NewIncident:
    values: dict[str, Any] = dict(
        customer_id=customer_id,
        occurred_at=NOW - dt.timedelta(days=1),
        channel="phone",
        category="aggressive",
        behaviours=["threatening_language"],
        description="The customer shouted and swore at the call handler.",
        evidence_source="first_hand",
    )
    return NewIncident(**(values | overrides))


def test_logging_incidents_adds_them_and_their_behaviours(db_url, actors):
    leader = actors["teamleader"]
    assert summary(db_url) == Counter()
    customer = a_customer(db_url, leader)
    an_incident(db_url, leader, customer, behaviours=["threatening_language", "discriminatory_abuse"])
    an_incident(db_url, leader, customer)  # same day, area and category: the counts add up
    an_incident(
        db_url,
        leader,
        customer,
        when=NOW - dt.timedelta(days=40),
        category="unreasonable_demands",
        behaviours=["contact_overload"],
    )
    held = assert_exact(db_url)
    day, area = (NOW - dt.timedelta(days=1)).date(), area_id(db_url)
    assert held[(day, area, "aggressive", "")] == 2
    assert held[(day, area, "aggressive", "threatening_language")] == 2
    assert held[(day, area, "aggressive", "discriminatory_abuse")] == 1
    assert sum(n for k, n in held.items() if k[3] == "") == 3


def test_amending_moves_the_incident_and_its_behaviours(db_url, uow, actors):
    leader = actors["teamleader"]
    customer = a_customer(db_url, leader)
    incident = an_incident(
        db_url, leader, customer, behaviours=["threatening_language", "discriminatory_abuse"]
    )
    an_incident(db_url, leader, customer)
    earlier = NOW - dt.timedelta(days=100)
    amend_incident(
        leader,
        incident,
        change(
            customer,
            occurred_at=earlier,
            category="unreasonable_demands",
            behaviours=["contact_overload", "large_volumes"],
        ),
        "Wrong date and category recorded.",
        uow(),
        now=NOW,
    )
    held = assert_exact(db_url)
    day, area = (NOW - dt.timedelta(days=1)).date(), area_id(db_url)
    assert (
        held[(day, area, "aggressive", "")] == 1
        and held[(day, area, "aggressive", "discriminatory_abuse")] == 0
    )
    assert held[(day, area, "aggressive", "threatening_language")] == 1
    assert held[(earlier.date(), area, "unreasonable_demands", "")] == 1
    assert held[(earlier.date(), area, "unreasonable_demands", "large_volumes")] == 1
    # a correction of the wording only leaves the summary as it was
    amend_incident(
        leader,
        incident,
        change(
            customer,
            occurred_at=earlier,
            category="unreasonable_demands",
            behaviours=["contact_overload", "large_volumes"],
            description="The customer emailed forty times in one day.",
        ),
        "Description clarified.",
        uow(),
        now=NOW,
    )
    assert assert_exact(db_url) == held


def test_amendments_change_the_monitoring_figures(db_url, uow, actors):
    leader = actors["teamleader"]
    customer = a_customer(db_url, leader)
    incident = an_incident(db_url, leader, customer)
    filters = monitoring.default_filters(TODAY)
    before = monitoring.dashboard(leader, filters, uow(), TODAY)
    assert before["kpis"]["incidents"] == 1 and before["kpis"]["incidents_previous"] == 0
    amend_incident(
        leader,
        incident,
        change(customer, occurred_at=NOW - dt.timedelta(days=400), behaviours=["discriminatory_abuse"]),
        "It happened the year before.",
        uow(),
        now=NOW,
    )
    after = monitoring.dashboard(leader, filters, uow(), TODAY)
    assert after["kpis"]["incidents"] == 0 and after["kpis"]["incidents_previous"] == 1
    assert after["incidents_by_month_category"] == [] and after["behaviours_by_category"] == []


def test_retention_deletion_takes_the_incidents_out(db_url, uow, actors):
    stale = a_full_history(
        db_url, "NPH800001", "Ivy", "Oldcase", start=TODAY - dt.timedelta(days=8 * 365), closed=True
    )
    kept = a_full_history(
        db_url, "NPH800002", "Jon", "Recent", start=TODAY - dt.timedelta(days=700), closed=True
    )
    before = assert_exact(db_url)
    assert sum(n for k, n in before.items() if k[3] == "") == len(stale["incident"]) + len(kept["incident"])
    dp.confirm_retention_deletion(actors["dmo"], [min(stale["case_file"])], uow(), today=TODAY)
    after = assert_exact(db_url)
    assert sum(n for k, n in after.items() if k[3] == "") == len(kept["incident"])
    old_days = {k[0] for k in before} - {k[0] for k in after}
    assert old_days and all(day < TODAY - dt.timedelta(days=6 * 365) for day in old_days)


def test_deleting_incidents_through_the_orm_and_in_bulk(db_url, actors):
    leader = actors["teamleader"]
    customer = a_customer(db_url, leader)
    ids = [
        an_incident(
            db_url,
            leader,
            customer,
            when=NOW - dt.timedelta(days=d),
            behaviours=["threatening_language", "discriminatory_abuse"],
        )
        for d in (1, 1, 2, 3)
    ]
    with UnitOfWork(db_url) as u:  # ORM: the behaviours go first (delete-orphan cascade)
        u.session.delete(u.session.get(Incident, ids[0]))
        u.commit()
    assert_exact(db_url)
    with UnitOfWork(db_url) as u:  # bulk: children then parents, as retention deletion does
        u.session.execute(delete(IncidentBehaviour).where(IncidentBehaviour.incident_id.in_(ids[1:3])))
        u.session.execute(delete(Incident).where(Incident.id.in_(ids[1:3])))
        u.commit()
    held = assert_exact(db_url)
    assert sum(held.values()) == 3  # the last incident and its two behaviours


def test_a_rolled_back_write_leaves_the_summary_as_it_was(db_url, actors):
    leader = actors["teamleader"]
    an_incident(db_url, leader, a_customer(db_url, leader))
    before = summary(db_url)
    with UnitOfWork(db_url) as u:
        u.session.execute(delete(IncidentBehaviour))
        u.session.execute(delete(Incident))
        u.session.flush()
        u.session.rollback()
    assert assert_exact(db_url) == before


def test_bulk_insert_and_update_keep_it_exact(db_url, actors):
    leader = actors["teamleader"]
    customer = a_customer(db_url, leader)
    area = area_id(db_url)
    behaviours = list(Behaviour)
    categories = list(Category)
    with UnitOfWork(db_url) as u:
        first = (u.session.scalar(select(Incident.id).order_by(Incident.id.desc()).limit(1)) or 0) + 1
        rows = [
            dict(
                id=first + n,
                customer_id=customer,
                service_area_id=area,
                occurred_at=NOW - dt.timedelta(days=n % 37, hours=n % 24),
                channel="phone",
                category=categories[n % len(categories)].value,
                description=f"Bulk incident {n}",
                evidence_source="first_hand",
                recorded_by_id=leader.user_id,
                recorded_at=NOW,
            )
            for n in range(300)
        ]
        u.session.execute(insert(Incident), rows)
        links = [
            dict(incident_id=first + n, behaviour=behaviours[(n + k) % len(behaviours)].value)
            for n in range(300)
            for k in range(n % 3)
        ]
        u.session.execute(insert(IncidentBehaviour), links)
        u.commit()
    held = assert_exact(db_url)
    assert sum(n for k, n in held.items() if k[3] == "") == 300
    assert sum(n for k, n in held.items() if k[3] != "") == len(links)
    with UnitOfWork(db_url) as u:  # one statement moving many incidents to another day and category
        u.session.execute(
            update(Incident)
            .where(Incident.id < first + 150)
            .values(occurred_at=NOW - dt.timedelta(days=500), category=Category.AGGRESSIVE.value)
        )
        u.session.execute(update(Incident).where(Incident.id >= first + 250).values(description="Reworded"))
        u.commit()
    held = assert_exact(db_url)
    assert held[((NOW - dt.timedelta(days=500)).date(), area, "aggressive", "")] == 150


def test_the_migration_backfills_incidents_recorded_before_it(db_url, actors):
    leader = actors["teamleader"]
    customer = a_customer(db_url, leader)
    for d in range(5):
        an_incident(
            db_url,
            leader,
            customer,
            when=NOW - dt.timedelta(days=d * 10),
            behaviours=["threatening_language", "discriminatory_abuse"][: 1 + d % 2],
        )
    expected = assert_exact(db_url)
    dispose_engines()
    with get_engine(db_url).begin() as connection:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0002")
    with get_engine(db_url).begin() as connection:  # an incident recorded while the summary is absent
        connection.execute(
            insert(Incident).values(
                customer_id=customer,
                service_area_id=area_id(db_url),
                occurred_at=NOW,
                channel="phone",
                category="aggressive",
                description="Recorded before the upgrade",
                evidence_source="first_hand",
                recorded_by_id=leader.user_id,
                recorded_at=NOW,
            )
        )
    with get_engine(db_url).begin() as connection:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    held = assert_exact(db_url)
    assert sum(held.values()) == sum(expected.values()) + 1
    an_incident(db_url, leader, customer)  # and the triggers are back
    assert_exact(db_url)
