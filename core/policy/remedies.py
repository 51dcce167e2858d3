"""The policy's remedies (clauses 4.1 and 5): which formal actions are for extreme cases, how a
legal remedy is recorded with its court dates, and why a SPOC is never a formal action. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.enums import Channel, FormalActionType

if TYPE_CHECKING:
    from core.policy.stages import CaseFacts

# Clause 5's legal remedies, each recorded with its court dates.
LEGAL_REMEDIES = frozenset(
    {FormalActionType.INJUNCTION, FormalActionType.DEMOTION, FormalActionType.POSSESSION}
)
# Clause 5's remedies "in extreme cases such as physical violence, threats or harassment".
EXTREME_ACTIONS = (
    frozenset(
        {
            FormalActionType.POLICE_REFERRAL,
            FormalActionType.LEGAL_ACTION,
            FormalActionType.HOUSING_REGISTER_REMOVAL,
        }
    )
    | LEGAL_REMEDIES
)
# Steps taken about the customer, not ways of working with them: contractors are never told of them
# (clause 4.2), and they are not reviewed as contact restrictions.
STEPS_ABOUT_CUSTOMER = EXTREME_ACTIONS
# A SPOC is never imposed as a formal action: it is requested from the DMO (clause 5).
SPOC_ONLY_BY_REQUEST = (
    "A single point of contact is not imposed as a formal action: request it from the Data "
    "Management Officer (it starts only once approved at a SPOC review meeting and entered "
    "on the SPOC register)."
)


def court_date_problems(plan: ActionPlan, starts_on: dt.date) -> list[str]:
    """A legal remedy is recorded as what it is, with its court dates (clause 5)."""
    if plan.kind not in LEGAL_REMEDIES:
        return []
    name = plan.kind.label
    issued, hearing, order = plan.proceedings_issued_on, plan.hearing_on, plan.order_on
    problems: list[str] = []
    if issued is None:
        problems.append(f"{name}: give the date proceedings were issued (or the application made).")
    elif issued > starts_on:
        problems.append(f"{name}: proceedings cannot be issued after the decision date.")
    if hearing is not None and issued is not None and hearing < issued:
        problems.append(f"{name}: the hearing cannot be before proceedings were issued.")
    if order is not None and (order < (hearing or issued or order) or order > starts_on):
        problems.append(f"{name}: the order date must be on or after the hearing and not after the decision.")
    return problems


@dataclass(frozen=True)
class ActionPlan:
    """One formal action as the user proposes it."""

    kind: FormalActionType
    terms: str
    review_due: dt.date | None
    channel: Channel | None = None  # for ONE_CHANNEL
    adjustment: str = ""  # the reasonable adjustment this action keeps
    court_reference: str = ""  # legal remedies: the court's claim number
    proceedings_issued_on: dt.date | None = None
    hearing_on: dt.date | None = None
    order_on: dt.date | None = None


def loose_ends(facts: CaseFacts) -> list[str]:
    """What is still open on a case (clause 2.2: actions are temporary, closure restores normal
    working): active restrictions, undecided appeals, and the services' own loose ends."""
    ends: list[str] = []
    active = [a for a in facts.actions if a.active]
    if active:
        ends.append("active restriction(s): " + ", ".join(a.kind.label.lower() for a in active))
    if facts.undecided_appeals:
        ends.append(f"{facts.undecided_appeals} undecided appeal(s)")
    return ends + list(facts.loose_ends)


# What a team leader can choose at the formal stage: never a SPOC (requested instead) and never the
# unnamed "legal action" of records made before issue 13 (the remedy is named).
FORMAL_ACTION_CHOICES = tuple(
    k for k in FormalActionType if k not in (FormalActionType.SPOC, FormalActionType.LEGAL_ACTION)
)
