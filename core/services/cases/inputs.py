"""What the user decides, as the stage services receive it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.enums import (
    Channel,
)


@dataclass
class InformalDetails:
    summary: str  # what was discussed and agreed
    contact_made: bool = False
    behaviour_set_out: bool = False
    expectations_stated: bool = False
    consequences_stated: bool = False
    root_cause_looked_for: bool = False
    third_party_offered: bool = False
    mediation_offered: bool = False
    contact_channel: str = Channel.PHONE.value
    root_cause_found: bool = False
    referral_service_area_id: int | None = None
    referral_description: str = ""
    outcome_letter_due: dt.date | None = None
    incident_ids: list[int] | None = None
    decided_on: dt.date | None = None


@dataclass(kw_only=True)
class EscalationRecord:
    """What every warning or formal decision records besides its own terms: the Equality Act
    considerations, any reason for skipping a stage, the evidence and the decision date."""

    underlying_issues_considered: bool = False
    underlying_issues_notes: str = ""
    adjustments: str = ""
    skip_reason: str = ""
    incident_ids: list[int] | None = None
    decided_on: dt.date | None = None
    # A new case after closure: why the customer's earlier cases justify this stage (issue 13).
    history_reason: str = ""


@dataclass
class WarningDecision(EscalationRecord):
    reason: str
    review_due: dt.date | None


@dataclass
class NewFormalAction:
    kind: str
    terms: str
    review_due: dt.date | None
    channel: str | None = None
    adjustment: str = ""
    # Legal remedies (injunction, demotion of tenancy, possession proceedings): the court's dates.
    court_reference: str = ""
    proceedings_issued_on: dt.date | None = None
    hearing_on: dt.date | None = None
    order_on: dt.date | None = None


@dataclass
class SpocRequestPlan:
    """A single point of contact asked of the Data Management Officer as (part of) a formal
    decision (clause 5): not in force until approved at a SPOC review meeting."""

    reason: str
    incident_ids: list[int] = field(default_factory=list)


@dataclass
class FormalDecision(EscalationRecord):
    reason: str
    actions: list[NewFormalAction | dict] = field(default_factory=list)
    spoc_request: SpocRequestPlan | None = None  # may be the whole decision


@dataclass
class Closure:
    """Closing a case (clause 2.2): why; why it closes with anything still open (issue 13); and
    the closure letter, sent now unless the officer records why not."""

    reason: str
    loose_end_reason: str = ""
    send_letter: bool = True
    no_letter_reason: str = ""
