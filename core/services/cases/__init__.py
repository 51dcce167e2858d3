"""Running a case through the policy's stages (clause 4): informal stage, warning, formal
actions, reviews, appeals and closure, with the clause 2.3 checklist and the compliance view.

One module per use case; every public name is re-exported here, so
`from core.services import cases; cases.issue_warning(...)` keeps working.
"""

from core.services.cases._common import (
    DECISION_LETTERS,
    OUTCOME_LETTER_WORKING_DAYS,
    SPOC_OVERTURNED,
)
from core.services.cases.appeal_decisions import AppealDecision, decide_appeal
from core.services.cases.appeals import (
    appeals_for_decision_maker,
    record_appeal,
    route_for,
)
from core.services.cases.closure import close_case
from core.services.cases.compliance import compliance_overview
from core.services.cases.inputs import (
    Closure,
    EscalationRecord,
    FormalDecision,
    InformalDetails,
    NewFormalAction,
    SpocRequestPlan,
    WarningDecision,
)
from core.services.cases.overview import (
    allowed_actions,
    case_checklist,
    case_overview,
    find_case,
    service_areas,
)
from core.services.cases.reviews import ReviewDecision, record_review
from core.services.cases.stages import (
    issue_warning,
    record_informal_stage,
    take_formal_actions,
)
from core.services.cases.views import (
    ActionOption,
    ActionRow,
    AllowedActions,
    AppealDecided,
    AppealRoute,
    AppealRow,
    AssignedAppeal,
    AssistantDirector,
    CaseOverview,
    ComplianceRow,
    DecisionRow,
    EarlierCase,
    IncidentRow,
    Overdue,
    Page,
    RefusedAction,
    SpocRow,
    Subject,
    WarningInForce,
)

__all__ = [
    "AppealDecision",
    "ReviewDecision",
    "ActionOption",
    "ActionRow",
    "AllowedActions",
    "AppealDecided",
    "AppealRoute",
    "AppealRow",
    "AssignedAppeal",
    "AssistantDirector",
    "CaseOverview",
    "ComplianceRow",
    "DecisionRow",
    "EarlierCase",
    "IncidentRow",
    "Overdue",
    "Page",
    "RefusedAction",
    "SpocRow",
    "Subject",
    "WarningInForce",
    "DECISION_LETTERS",
    "OUTCOME_LETTER_WORKING_DAYS",
    "SPOC_OVERTURNED",
    "Closure",
    "EscalationRecord",
    "SpocRequestPlan",
    "FormalDecision",
    "InformalDetails",
    "NewFormalAction",
    "WarningDecision",
    "allowed_actions",
    "appeals_for_decision_maker",
    "case_checklist",
    "case_overview",
    "close_case",
    "compliance_overview",
    "decide_appeal",
    "find_case",
    "issue_warning",
    "record_appeal",
    "record_informal_stage",
    "record_review",
    "route_for",
    "service_areas",
    "take_formal_actions",
]
