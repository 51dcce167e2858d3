"""Clause 4.1: contact limited "to a limited number of times per week or month", to one
channel, or to certain days and times. Is a contact from the customer within the restriction
in force? Pure functions over plain values: the caller passes local (UK) times.

A restriction limits what the customer may do, so only contacts *from* the customer count
against it; contacts the landlord makes are never outside the arrangement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PERIODS = ("week", "month")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass(frozen=True)
class ContactRule:
    """What a restriction allows. Empty `channels`/`weekdays` mean any; no times mean any time."""

    restriction_id: int
    channels: frozenset[str] = frozenset()
    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    time_from: dt.time | None = None
    time_to: dt.time | None = None
    max_contacts: int | None = None
    period: str = "week"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None

    def applies_on(self, day: dt.date) -> bool:
        return (self.starts_on is None or day >= self.starts_on) and (
            self.ends_on is None or day <= self.ends_on
        )

    def describe(self) -> str:
        parts = []
        if self.channels:
            parts.append(" or ".join(sorted(self.channels)).replace("_", " ") + " only")
        if self.weekdays:
            parts.append(", ".join(DAY_NAMES[d] for d in sorted(self.weekdays)))
        if self.time_from and self.time_to:
            parts.append(f"{self.time_from:%H:%M}-{self.time_to:%H:%M}")
        if self.max_contacts is not None:
            parts.append(
                f"{self.max_contacts} contact{'s' if self.max_contacts != 1 else ''} a {self.period}"
            )
        return ", ".join(parts) or "no limits"


@dataclass(frozen=True)
class ContactFact:
    id: int
    at: dt.datetime  # local time
    channel: str
    inbound: bool


@dataclass(frozen=True)
class Verdict:
    contact_id: int
    restriction_id: int | None
    reasons: tuple[str, ...]

    @property
    def outside(self) -> bool:
        return bool(self.reasons)


def _time(value: Any, field: str) -> dt.time | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a time such as 10:00.") from None


def rule_problems(
    channels: Iterable[str],
    weekdays: Iterable[int],
    time_from: Any,
    time_to: Any,
    max_contacts: int | None,
    period: str,
) -> list[str]:
    """Everything wrong with a contact rule as entered, one line each."""
    problems: list[str] = []
    days: list[int] = list(weekdays)
    chosen: list[str] = list(channels)
    if any(not 0 <= int(d) <= 6 for d in days):
        problems.append("Days must be Monday to Sunday.")
    try:
        start, end = _time(time_from, "From"), _time(time_to, "To")
        if (start is None) != (end is None):
            problems.append("Give both the start and end of the contact times, or neither.")
        elif start and end and start >= end:
            problems.append("The contact times must end after they start.")
    except ValueError as problem:
        problems.append(str(problem))
    if max_contacts is not None and max_contacts < 1:
        problems.append("The number of contacts allowed must be at least 1.")
    if period not in PERIODS:
        problems.append("The number of contacts is counted per week or per month.")
    if not (chosen or days or time_from or max_contacts):
        problems.append("Set at least one limit: channels, days, times or a number of contacts.")
    return problems


def rule_from(
    restriction_id: int,
    details: Mapping[str, Any],
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> ContactRule | None:
    """A restriction's rule from its stored details: `contact_rule` (channels, weekdays, times,
    number per week or month) and a one-channel restriction's `channel`. None if it sets no limit."""
    stored = dict(details.get("contact_rule") or {})
    channels = set(stored.get("channels") or [])
    if details.get("channel"):
        channels.add(str(details["channel"]))
    if not (stored or channels):
        return None
    return ContactRule(
        restriction_id,
        frozenset(channels),
        frozenset(int(d) for d in stored.get("weekdays") or []),
        _time(stored.get("time_from"), "From"),
        _time(stored.get("time_to"), "To"),
        stored.get("max_contacts"),
        stored.get("period") or "week",
        starts_on,
        ends_on,
    )


def period_start(day: dt.date, period: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def _reasons(rule: ContactRule, contact: ContactFact, earlier_in_period: int) -> list[str]:
    reasons = []
    if rule.channels and contact.channel not in rule.channels:
        reasons.append(f"channel not allowed ({rule.describe()})")
    if rule.weekdays and contact.at.weekday() not in rule.weekdays:
        reasons.append(f"on a day not allowed ({rule.describe()})")
    if rule.time_from and rule.time_to and not rule.time_from <= contact.at.time() < rule.time_to:
        reasons.append(f"outside the contact times ({rule.describe()})")
    if rule.max_contacts is not None and earlier_in_period >= rule.max_contacts:
        reasons.append(
            f"contact {earlier_in_period + 1} this {rule.period}, over the limit ({rule.describe()})"
        )
    return reasons


def check_contacts(rules: Iterable[ContactRule], contacts: Iterable[ContactFact]) -> list[Verdict]:
    """A verdict for every contact, in time order. Each restriction counts the customer's
    contacts on its channels in the week (Monday to Sunday) or calendar month of the contact;
    a contact is outside the arrangement if any restriction in force that day says so."""
    rules = list(rules)
    ordered = sorted(contacts, key=lambda c: (c.at, c.id))
    counts: dict[tuple[int, dt.date], int] = {}
    verdicts = []
    for contact in ordered:
        reasons: list[str] = []
        breached: int | None = None
        for rule in rules:
            if not contact.inbound or not rule.applies_on(contact.at.date()):
                continue
            key = (rule.restriction_id, period_start(contact.at.date(), rule.period))
            counted = not rule.channels or contact.channel in rule.channels
            found = _reasons(rule, contact, counts.get(key, 0) if counted else 0)
            if counted:
                counts[key] = counts.get(key, 0) + 1
            if found and breached is None:
                breached = rule.restriction_id
            reasons += found
        verdicts.append(Verdict(contact.id, breached, tuple(reasons)))
    return verdicts
