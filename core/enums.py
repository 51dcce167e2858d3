"""The policy's vocabularies, defined once and reused by forms, rules, charts and letters.

Each enum's value is the stored code; `label` is the plain-English wording shown to people.
"""

from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a human label: Member = ("code", "Label")."""

    label: str  # set per member by __new__; declared so type checkers know every member has it

    def __new__(cls, value: str, label: str = ""):  # `label` defaults only so Enum(code) type-checks
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[LabelledEnum]:
        return list(cls)

    @classmethod
    def from_code(cls, code: str) -> LabelledEnum:
        return cls(code)


class Role(LabelledEnum):
    TEAM_LEADER = ("team_leader", "Team leader / manager")
    DMO = ("dmo", "Data Management Officer")
    HSW_OFFICER = ("hsw_officer", "H&S Well-being Officer")
    ASSISTANT_DIRECTOR = ("assistant_director", "Assistant Director")
    VIEWER = ("viewer", "Front-line staff / contractor")
    ADMIN = ("admin", "Administrator")


class Category(LabelledEnum):
    AGGRESSIVE = ("aggressive", "Aggressive or abusive behaviour or harassment")
    UNREASONABLE_BEHAVIOUR = ("unreasonable_behaviour", "Unreasonable behaviour")
    UNREASONABLE_DEMANDS = ("unreasonable_demands", "Unreasonable demands")
    UNREASONABLE_PERSISTENCE = ("unreasonable_persistence", "Unreasonable persistence")


class Behaviour(LabelledEnum):
    # Aggressive or abusive behaviour or harassment (clause 3)
    PHYSICAL_VIOLENCE = ("physical_violence", "Physical violence that may result in harm or injury")
    VIOLENCE_TO_PROPERTY = ("violence_to_property", "Physical violence against property")
    THREATENING_LANGUAGE = (
        "threatening_language",
        "Threatening, intimidating or abusive language or behaviour",
    )
    HARASSMENT = ("harassment", "Harassment of staff or contractors")
    DISCRIMINATORY_ABUSE = ("discriminatory_abuse", "Discriminatory comments or abuse")
    SOCIAL_MEDIA_ABUSE = ("social_media_abuse", "Social-media abuse of staff or contractors")
    INFLAMMATORY_ALLEGATIONS = (
        "inflammatory_allegations",
        "Inflammatory statements and unsubstantiated allegations",
    )
    AGGRESSIVE_OTHER = ("aggressive_other", "Other aggressive or abusive behaviour")
    # Unreasonable behaviour
    REFUSING_DETAILS = ("refusing_details", "Refusing to specify complaint details")
    CHANGING_BASIS = ("changing_basis", "Changing the basis of a complaint")
    DENYING_STATEMENTS = ("denying_statements", "Denying or changing earlier statements")
    UNJUSTIFIED_STAFF_COMPLAINTS = (
        "unjustified_staff_complaints",
        "Unjustified complaints about staff and demands to replace them",
    )
    COVERT_RECORDING = ("covert_recording", "Covert recording of meetings or conversations")
    FALSIFIED_DOCUMENTS = ("falsified_documents", "Submitting falsified documents")
    REFUSING_DECISION = (
        "refusing_decision",
        "Refusing to accept a decision; re-arguing without new evidence",
    )
    UNREALISTIC_OUTCOME = ("unrealistic_outcome", "Persisting with an outcome explained as unrealistic")
    BEHAVIOUR_OTHER = ("behaviour_other", "Other unreasonable behaviour")
    # Unreasonable demands
    LARGE_VOLUMES = ("large_volumes", "Requesting large volumes of information")
    UNREASONABLE_TIMESCALES = (
        "unreasonable_timescales",
        "Demanding responses within an unreasonable timescale",
    )
    INSISTING_ON_PERSON = (
        "insisting_on_person",
        "Refusing to speak to someone or insisting on another person",
    )
    CONTACT_OVERLOAD = ("contact_overload", "Overload of letters, calls, emails or social-media contact")
    DEMANDS_OTHER = ("demands_other", "Other unreasonable demands")
    # Unreasonable persistence
    REFUSING_ANSWER = ("refusing_answer", "Refusing to accept the answer given")
    SAME_MATTER = ("same_matter", "Raising the same matter without new evidence")
    CHANGING_COMPLAINT = ("changing_complaint", "Continually adding to or changing the complaint")
    PERSISTENCE_OTHER = ("persistence_other", "Other unreasonable persistence")


BEHAVIOURS_BY_CATEGORY: dict[Category, tuple[Behaviour, ...]] = {
    Category.AGGRESSIVE: (
        Behaviour.PHYSICAL_VIOLENCE,
        Behaviour.VIOLENCE_TO_PROPERTY,
        Behaviour.THREATENING_LANGUAGE,
        Behaviour.HARASSMENT,
        Behaviour.DISCRIMINATORY_ABUSE,
        Behaviour.SOCIAL_MEDIA_ABUSE,
        Behaviour.INFLAMMATORY_ALLEGATIONS,
        Behaviour.AGGRESSIVE_OTHER,
    ),
    Category.UNREASONABLE_BEHAVIOUR: (
        Behaviour.REFUSING_DETAILS,
        Behaviour.CHANGING_BASIS,
        Behaviour.DENYING_STATEMENTS,
        Behaviour.UNJUSTIFIED_STAFF_COMPLAINTS,
        Behaviour.COVERT_RECORDING,
        Behaviour.FALSIFIED_DOCUMENTS,
        Behaviour.REFUSING_DECISION,
        Behaviour.UNREALISTIC_OUTCOME,
        Behaviour.BEHAVIOUR_OTHER,
    ),
    Category.UNREASONABLE_DEMANDS: (
        Behaviour.LARGE_VOLUMES,
        Behaviour.UNREASONABLE_TIMESCALES,
        Behaviour.INSISTING_ON_PERSON,
        Behaviour.CONTACT_OVERLOAD,
        Behaviour.DEMANDS_OTHER,
    ),
    Category.UNREASONABLE_PERSISTENCE: (
        Behaviour.REFUSING_ANSWER,
        Behaviour.SAME_MATTER,
        Behaviour.CHANGING_COMPLAINT,
        Behaviour.PERSISTENCE_OTHER,
    ),
}

CATEGORY_OF_BEHAVIOUR: dict[Behaviour, Category] = {
    b: c for c, behaviours in BEHAVIOURS_BY_CATEGORY.items() for b in behaviours
}


class Channel(LabelledEnum):
    PHONE = ("phone", "Telephone")
    IN_PERSON = ("in_person", "In person")
    HOME_VISIT = ("home_visit", "Home visit")
    EMAIL = ("email", "Email")
    LETTER = ("letter", "Letter")
    SOCIAL_MEDIA = ("social_media", "Social media")
    OTHER = ("other", "Other")


def channel_labels(codes: list) -> list[str]:
    """Plain-English names of stored channel codes (an unknown code is shown as stored)."""
    return [Channel(code).label if code in Channel._value2member_map_ else str(code) for code in codes or []]


class EvidenceSource(LabelledEnum):
    FIRST_HAND = ("first_hand", "First-hand (witnessed by the recorder or staff affected)")
    TRUSTED_THIRD_PARTY = ("trusted_third_party", "Trusted third party (named)")
    HEARSAY = ("hearsay", "Hearsay or opinion (noted only, never counts as evidence)")


class Vulnerability(LabelledEnum):
    DISABILITY = ("disability", "Disability")
    MENTAL_HEALTH = ("mental_health", "Mental health")
    LEARNING_DIFFICULTIES = ("learning_difficulties", "Learning difficulties")
    LANGUAGE = ("language", "Language")
    OTHER = ("other", "Other vulnerability")


class Stage(LabelledEnum):
    NONE = ("none", "No stage yet")
    INFORMAL = ("informal", "Informal stage")
    WARNING = ("warning", "Warning stage")
    FORMAL = ("formal", "Formal stage")
    CLOSED = ("closed", "Closed")


class FormalActionType(LabelledEnum):
    # Kept only for records made before issue 13: a SPOC is now requested from the DMO and exists
    # only on the SPOC register (clause 5); migration 0007 moved these rows to the register.
    SPOC = ("spoc", "Single point of contact")
    ONE_CHANNEL = ("one_channel", "Contact limited to one channel")
    CONTACT_LIMITS = ("contact_limits", "Contact limited to certain times or a number of contacts")
    ISSUE_LIMIT = ("issue_limit", "Only a number of issues considered per period")
    DECLINE_WITHOUT_EVIDENCE = (
        "decline_without_evidence",
        "Declining further consideration without new evidence",
    )
    OTHER = ("other", "Other proportionate action")
    POLICE_REFERRAL = ("police_referral", "Police referral")
    LEGAL_ACTION = ("legal_action", "Legal action")  # before issue 13; new records name the remedy
    # The policy's legal remedies (clause 5), each with its court dates.
    INJUNCTION = ("injunction", "Legal action: injunction")
    DEMOTION = ("demotion", "Legal action: demotion of tenancy")
    POSSESSION = ("possession", "Legal action: possession proceedings")
    HOUSING_REGISTER_REMOVAL = (
        "housing_register_removal",
        "Removal of entitlement to join the Housing Register",
    )


class ActionStatus(LabelledEnum):
    ACTIVE = ("active", "Active")
    LIFTED = ("lifted", "Lifted")
    OVERTURNED = ("overturned", "Overturned on appeal")
    ENDED = ("ended", "Ended")


class ReviewOutcome(LabelledEnum):
    LIFT = ("lift", "Lifted: normal working restored")
    VARY = ("vary", "Varied")
    CONTINUE = ("continue", "Continued")
    NO_FURTHER_ACTION = ("no_further_action", "No further action")


class AppealOutcome(LabelledEnum):
    UPHELD = ("upheld", "Upheld (decision stands)")
    VARIED = ("varied", "Varied")
    OVERTURNED = ("overturned", "Overturned")


class LetterType(LabelledEnum):
    INFORMAL_SUMMARY = ("informal_summary", "Informal stage: summary of conversation (Appendix A)")
    WARNING = ("warning", "Warning stage: Fair Treatment Letter (Appendix B)")
    FORMAL = ("formal", "Formal stage: restrictions")
    APPEAL_ACK = ("appeal_ack", "Appeal acknowledgement")
    APPEAL_OUTCOME = ("appeal_outcome", "Appeal outcome")
    REVIEW_OUTCOME = ("review_outcome", "Review outcome")
    THIRD_PARTY = ("third_party", "Third-party contact arrangement")
    PVP_NOTICE = ("pvp_notice", "PVP marker notice to customer")
    STAFF_NOTICE = ("staff_notice", "Notice of arrangement to staff/contractors")
    SPOC = ("spoc", "Single point of contact arrangement")
    CLOSURE = ("closure", "Case closed: normal arrangements restored")


class RegisterStatus(LabelledEnum):
    PENDING = ("pending", "Pending decision")
    ACTIVE = ("active", "Active")
    REJECTED = ("rejected", "Rejected")
    ENDED = ("ended", "Ended")


class DataRequestKind(LabelledEnum):
    SAR = ("sar", "Subject access request")
    RECTIFICATION = ("rectification", "Rectification request")
    ERASURE = ("erasure", "Erasure request")


class SubjectType(enum.StrEnum):
    """What an appeal, a review or a letter is about (the `subject_type` column), as stored.

    A StrEnum, so members compare equal to the stored strings."""

    STAGE_EVENT = "stage_event"  # an informal, warning or formal stage decision
    FORMAL_ACTION = "formal_action"  # one restriction taken at the formal stage
    SPOC_ENTRY = "spoc_entry"  # a single point of contact on the SPOC register
    PVP_ENTRY = "pvp_entry"  # a marker on the PVP register
    APPEAL = "appeal"  # letters: appeal acknowledgement and outcome
    REVIEW = "review"  # letters: review outcome
    THIRD_PARTY_CONTACT = "third_party_contact"  # letters: third-party contact arrangement
    CUSTOMER = "customer"  # letters: staff notice
    # A warning being reviewed: the input to record_review, and what core/demo.py still stores for
    # a warning review (the services store STAGE_EVENT for it).
    WARNING = "warning"
