"""All SQLAlchemy models; importing this package registers every table on Base.metadata."""

from core.models.base import Base, utcnow
from core.models.cases import (
    Appeal,
    Case,
    FormalAction,
    Incident,
    IncidentBehaviour,
    Letter,
    Review,
    ServiceReferral,
    StageEvent,
    stage_event_incident,
)
from core.models.evidence import (
    Attachment,
    CommunicationNeeds,
    ContactLog,
    Household,
    HouseholdMember,
    PartnerReferral,
)
from core.models.governance import AccessLog, Annotation, AppSetting, AuditEntry, DataRequest
from core.models.outbox import OutboxMessage
from core.models.people import (
    Customer,
    CustomerVulnerability,
    LoginAttempt,
    ServiceArea,
    ThirdPartyContact,
    User,
)
from core.models.registers import DisclosureLog, PvpConsideration, PvpEntry, SpocEntry, SpocRequest
from core.models.summary import IncidentDaily

__all__ = [
    "Base",
    "utcnow",
    "Customer",
    "CustomerVulnerability",
    "LoginAttempt",
    "ServiceArea",
    "ThirdPartyContact",
    "User",
    "Appeal",
    "Case",
    "FormalAction",
    "Incident",
    "IncidentBehaviour",
    "Letter",
    "Review",
    "ServiceReferral",
    "StageEvent",
    "stage_event_incident",
    "DisclosureLog",
    "PvpConsideration",
    "PvpEntry",
    "SpocEntry",
    "SpocRequest",
    "AccessLog",
    "Annotation",
    "AuditEntry",
    "DataRequest",
    "AppSetting",
    "IncidentDaily",
    "Attachment",
    "CommunicationNeeds",
    "ContactLog",
    "Household",
    "HouseholdMember",
    "PartnerReferral",
    "OutboxMessage",
]
