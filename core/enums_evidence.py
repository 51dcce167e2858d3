"""Vocabularies of issue 16 (contacts and notes, households, partner agencies, communication
needs), in the style of core.enums: the value is the stored code, `label` the plain wording.
Contact channels reuse core.enums.Channel, so a restriction's channel and a logged contact's
channel are the same codes."""

from __future__ import annotations

from core.enums import LabelledEnum


class EntryKind(LabelledEnum):
    CONTACT = ("contact", "Contact with the customer")
    NOTE = ("note", "Case note")


class Direction(LabelledEnum):
    INBOUND = ("in", "From the customer")
    OUTBOUND = ("out", "To the customer")
    INTERNAL = ("internal", "Not with the customer (note)")


class HouseholdRole(LabelledEnum):
    TENANT = ("tenant", "Tenant")
    JOINT_TENANT = ("joint_tenant", "Joint tenant")
    OCCUPANT = ("occupant", "Household member")


class PreferredFormat(LabelledEnum):
    STANDARD = ("standard", "Standard print")
    LARGE_PRINT = ("large_print", "Large print")
    EASY_READ = ("easy_read", "Easy read")
    BRAILLE = ("braille", "Braille")
    AUDIO = ("audio", "Audio")
    EMAIL = ("email", "Email")


class Agency(LabelledEnum):
    POLICE = ("police", "Police")
    ADULT_SAFEGUARDING = ("adult_safeguarding", "Adult safeguarding")
    CHILDREN_SAFEGUARDING = ("children_safeguarding", "Children's safeguarding")
    MENTAL_HEALTH = ("mental_health", "Mental-health team")
    MARAC = ("marac", "MARAC")
    NPH_LEGAL = ("nph_legal", "NPH Legal")
    WNC = ("wnc", "West Northamptonshire Council (clause 2.4)")
    OTHER = ("other", "Other agency")


class PartnerAction(LabelledEnum):
    REFERRAL = ("referral", "Referral")
    CONTACT = ("contact", "Contact")
    LEGAL_REMEDY = ("legal_remedy", "Legal remedy")


class AttachmentSubject(LabelledEnum):
    INCIDENT = ("incident", "Incident")
    NOTE = ("contact_log", "Contact or note")
    DECISION = ("stage_event", "Decision")
