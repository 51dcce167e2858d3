"""What the case services return to pages: frozen read models with real dates and enums, never
dicts of strings for a page to parse back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

from core.enums import ActionStatus, AppealOutcome, FormalActionType, Stage, SubjectType
from core.policy.checklist import ChecklistItem
from core.policy.stages import CaseAction
from core.services.paging import Page  # noqa: F401  (re-exported: one Page for every list)

T = TypeVar("T")


@dataclass(frozen=True)
class ActionOption:
    action: CaseAction
    label: str
    note: str = ""


@dataclass(frozen=True)
class RefusedAction:
    action: CaseAction
    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AllowedActions:
    """What the policy allows next on a case, and why each other action is not allowed."""

    case_id: int
    stage: Stage
    version: int
    allowed: tuple[ActionOption, ...]
    refused: tuple[RefusedAction, ...]


@dataclass(frozen=True)
class Subject:
    """Something a review or an appeal can be about: a warning or other stage decision, a
    restriction or a SPOC on the register."""

    subject_type: SubjectType
    subject_id: int
    what: str  # "Warning stage", "Contact limits", "Single point of contact (SPOC)"
    on: dt.date  # decided or started on
    review_due: dt.date | None = None
    appeal_by: dt.date | None = None
    incidents: tuple[int, ...] = ()  # counting incidents since it began (reviews)


@dataclass(frozen=True)
class WarningInForce:
    id: int
    decided_on: dt.date
    review_due: dt.date | None
    incidents_since: tuple[int, ...]


@dataclass(frozen=True)
class IncidentRow:
    id: int
    occurred_on: dt.date
    category: str
    evidence: str
    counts: bool
    violence_or_threat: bool


@dataclass(frozen=True)
class DecisionRow:
    id: int
    to_stage: Stage
    decided_on: dt.date
    decided_by: str
    reason: str
    skip_reason: str
    review_due: dt.date | None
    letter_sent: bool
    overturned: bool
    evidence: tuple[int, ...]
    appeal_by: dt.date | None


@dataclass(frozen=True)
class ActionRow:
    id: int
    kind: FormalActionType
    terms: str
    starts_on: dt.date
    review_due: dt.date
    status: ActionStatus
    review_overdue: bool
    incidents_during: tuple[int, ...]

    @property
    def active(self) -> bool:
        return self.status == ActionStatus.ACTIVE


@dataclass(frozen=True)
class SpocRow:
    id: int
    starts_on: dt.date
    review_due: dt.date | None
    terms: str
    appeal_by: dt.date


@dataclass(frozen=True)
class AppealRow:
    id: int
    subject_type: SubjectType
    subject_id: int
    received_on: dt.date
    late: bool
    due_on: dt.date
    decision_maker: str
    decided_on: dt.date | None
    outcome: AppealOutcome | None


@dataclass(frozen=True)
class EarlierCase:
    """One of the customer's earlier cases, shown on a new one (issue 13)."""

    case_id: int
    opened_on: dt.date
    closed_on: dt.date | None
    stage: Stage
    stages: tuple[str, ...]  # each stage decision, "Warning stage (05 Jan 2026)"
    closure_reason: str


@dataclass(frozen=True)
class CaseOverview:
    """Everything the case actions page shows."""

    case_id: int
    version: int
    customer_id: int
    customer: str
    housing_ref: str
    service_area: str
    stage: Stage
    closure_reason: str
    warning_review_due: dt.date | None
    vulnerabilities: tuple[str, ...]
    warning_in_force: WarningInForce | None
    incidents: tuple[IncidentRow, ...]
    decisions: tuple[DecisionRow, ...]
    actions: tuple[ActionRow, ...]
    spoc_entries: tuple[SpocRow, ...]  # active SPOCs on the register: appealable to the ICT AD
    appeals: tuple[AppealRow, ...]
    next: AllowedActions
    checklist: tuple[ChecklistItem, ...]
    review_subjects: tuple[Subject, ...]  # what a review may be recorded for now
    appeal_subjects: tuple[Subject, ...]  # what the customer may appeal against now
    earlier_cases: tuple[EarlierCase, ...] = ()  # the customer's earlier cases and their stages


@dataclass(frozen=True)
class Overdue:
    what: str
    due: dt.date
    days_overdue: int


@dataclass(frozen=True)
class ComplianceRow:
    case_id: int
    customer_id: int
    customer: str
    housing_ref: str
    service_area_id: int
    service_area: str
    stage: Stage
    failing: tuple[str, ...]  # the clause 2.3 principles missing
    missing: tuple[str, ...]  # what exactly is missing
    overdue: tuple[Overdue, ...]

    @property
    def most_days_overdue(self) -> int:
        return max((o.days_overdue for o in self.overdue), default=0)


@dataclass(frozen=True)
class AssistantDirector:
    id: int
    name: str


@dataclass(frozen=True)
class AppealRoute:
    """Who would decide an appeal, under which rule, and who else may if that is the officer
    who took the decision (`conflict`)."""

    decision_maker_id: int
    rule: str
    conflict: bool
    alternatives: tuple[AssistantDirector, ...]


@dataclass(frozen=True)
class AssignedAppeal:
    appeal_id: int
    case_id: int
    case_version: int
    customer: str
    housing_ref: str
    subject: str
    subject_type: SubjectType
    received_on: dt.date
    due_on: dt.date
    late: bool
    late_accepted_reason: str
    grounds: str
    overdue: bool
    decided_on: dt.date | None
    outcome: AppealOutcome | None


@dataclass(frozen=True)
class AppealDecided:
    appeal_id: int
    outcome: AppealOutcome
    case_stage: Stage
    late_decision: bool
