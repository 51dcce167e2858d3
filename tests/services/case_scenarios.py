"""Scenario builders for the stage workflow: a case at each stage in a line.

Timeline (2026): first incident 1 Sep, informal stage 5 Sep, second incident 1 Oct, warning
5 Oct (review 5 Jan 2027), third incident 1 Nov, formal action 5 Nov; "today" is 20 Nov.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.db import UnitOfWork
from core.models import Case
from core.services import cases
from tests.scenarios import a_customer, an_incident

TODAY = dt.date(2026, 11, 20)
INFORMAL_ON = dt.date(2026, 9, 5)
WARNING_ON = dt.date(2026, 10, 5)
WARNING_REVIEW = dt.date(2027, 1, 5)
FORMAL_ON = dt.date(2026, 11, 5)


# Not violence, threats or harassment, so no stage may be skipped unless a test says so.
ORDINARY = dict(
    category="unreasonable_demands",
    behaviours=["contact_overload"],
    description="The customer sent 27 emails in two days demanding a reply within the hour.",
)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def version(url: str, case_id: int) -> int:
    with UnitOfWork(url) as uow:
        return uow.session.get_one(Case, case_id).version


def stage(url: str, case_id: int) -> str:
    with UnitOfWork(url) as uow:
        return uow.session.get_one(Case, case_id).stage.value


def case_of(url: str, incident_id: int) -> int:
    from core.models import Incident

    with UnitOfWork(url) as uow:
        case_id = uow.session.get_one(Incident, incident_id).case_id
        assert case_id is not None, "logging an incident files it on a case"
        return case_id


def informal_details(**overrides) -> cases.InformalDetails:
    values: dict[str, Any] = dict(
        summary="Phoned the customer: set out the behaviour, the change expected and the "
        "consequences; offered contact via her sister.",
        contact_made=True,
        behaviour_set_out=True,
        expectations_stated=True,
        consequences_stated=True,
        root_cause_looked_for=True,
        third_party_offered=True,
        decided_on=INFORMAL_ON,
    )
    values.update(overrides)
    return cases.InformalDetails(**values)


def warning_decision(**overrides) -> cases.WarningDecision:
    values: dict[str, Any] = dict(
        reason="Further abuse on the phone after the informal stage.",
        review_due=WARNING_REVIEW,
        underlying_issues_considered=True,
        underlying_issues_notes="No recorded vulnerability; asked about support needs.",
        adjustments="Large-print letters on request.",
        decided_on=WARNING_ON,
    )
    values.update(overrides)
    return cases.WarningDecision(**values)


def formal_decision(actions: list | None = None, **overrides) -> cases.FormalDecision:
    values: dict[str, Any] = dict(
        reason="Abuse continued after the Fair Treatment Letter.",
        actions=actions
        or [
            {
                "kind": "contact_limits",
                "terms": "Two calls a week, 10:00-12:00",
                "review_due": dt.date(2027, 5, 5),
            }
        ],
        underlying_issues_considered=True,
        underlying_issues_notes="No recorded vulnerability; asked about support needs.",
        adjustments="Large-print letters on request.",
        decided_on=FORMAL_ON,
    )
    values.update(overrides)
    return cases.FormalDecision(**values)


def a_case(
    url: str,
    actors: dict,
    ref: str = "NPH900001",
    when: dt.date = dt.date(2026, 9, 1),
    customer: dict | None = None,
    **incident,
) -> int:
    """A customer with one first-hand incident: a case at 'no stage yet'."""
    customer_id = a_customer(url, actors["teamleader"], ref=ref, **(customer or {}))
    return case_of(
        url, an_incident(url, actors["teamleader"], customer_id, when=at(when), **(ORDINARY | incident))
    )


def another_incident(url: str, actors: dict, case_id: int, when: dt.date, **overrides) -> int:
    with UnitOfWork(url) as uow:
        customer_id = uow.session.get_one(Case, case_id).customer_id
    return an_incident(url, actors["teamleader"], customer_id, when=at(when), **(ORDINARY | overrides))


def a_case_at_informal_stage(url: str, actors: dict, **kw) -> int:
    case_id = a_case(url, actors, **kw)
    cases.record_informal_stage(
        actors["teamleader"], case_id, informal_details(), version(url, case_id), UnitOfWork(url), today=TODAY
    )
    return case_id


def a_case_at_warning_stage(url: str, actors: dict, **kw) -> int:
    case_id = a_case_at_informal_stage(url, actors, **kw)
    another_incident(url, actors, case_id, dt.date(2026, 10, 1))
    cases.issue_warning(
        actors["teamleader"], case_id, warning_decision(), version(url, case_id), UnitOfWork(url), today=TODAY
    )
    return case_id


def a_case_at_formal_stage(url: str, actors: dict, actions: list | None = None, **kw) -> int:
    case_id = a_case_at_warning_stage(url, actors, **kw)
    another_incident(url, actors, case_id, dt.date(2026, 11, 1))
    cases.take_formal_actions(
        actors["teamleader"],
        case_id,
        formal_decision(actions),
        version(url, case_id),
        UnitOfWork(url),
        today=TODAY,
    )
    return case_id
