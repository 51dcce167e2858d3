"""A complete set of example facts for each letter type: used to check a template a manager
has edited (every field it uses must be here) and by the tests and the benchmark."""

from __future__ import annotations

import copy
from typing import Any

from core.enums import LetterType
from core.letters.facts import CONTEXT_KEYS
from core.policy.deadlines import APPEAL_WINDOW_DAYS

_INCIDENT: dict[str, Any] = {
    "date": "27 March 2026",
    "channel": "Telephone",
    "behaviours": "Threatening, intimidating or abusive language or behaviour",
    "description": "The customer shouted and swore at the call handler.",
    "category": "Aggressive or abusive behaviour or harassment",
}

# What every letter has: the date, reference, officer, customer and appeal route.
_SHARED: dict[str, Any] = {
    "letter_date": "2 April 2026",
    "letter_iso": "2026-04-02",
    "reference": "NPH900001/C1",
    "officer": {
        "name": "Alex Team-Leader",
        "job_title": "Team leader / manager",
        "service_area": "Housing Management",
        "email": "teamleader@nph.example",
        "contact": "email teamleader@nph.example",
    },
    "customer": {
        "name": "Ms Siân O'Brien-Nkemelu",
        "first_name": "Siân",
        "last_name": "O'Brien-Nkemelu",
        "salutation": "Ms O'Brien-Nkemelu",
        "address_lines": ["12 Abington Street", "Northampton", "NN1 2AA"],
        "address": "12 Abington Street, Northampton, NN1 2AA",
        "housing_ref": "NPH900001",
    },
    "paragraphs": ["We talked about what happened."],
    "appeal_route": {
        "by": "30 April 2026",
        "officer_name": "Alex Team-Leader",
        "officer_contact": "email teamleader@nph.example",
        "decided_by": "the Assistant Director for Housing Management",
        "window_days": APPEAL_WINDOW_DAYS,
    },
}

# The informal summary, warning and formal letters: the decision and its evidence.
_STAGE_LETTERS: dict[str, Any] = {
    "conversation_date": "1 April 2026",
    "incidents": [_INCIDENT],
    "previous_incidents": [dict(_INCIDENT, date="14 January 2026")],
    "previous_incident_dates": "14 January 2026",
    "review_date": "2 October 2026",
    "decision_date": "1 April 2026",
    "warning_date": "3 February 2026",
    "restrictions": [
        {
            "kind": "Contact limited to one channel",
            "terms": "Email only",
            "starts_on": "1 April 2026",
            "review_due": "1 October 2026",
        }
    ],
}

# The appeal acknowledgement and outcome, and the review outcome.
_APPEAL_AND_REVIEW_LETTERS: dict[str, Any] = {
    "appeal": {
        "received_on": "10 April 2026",
        "decision": "our formal-stage decision",
        "decision_date": "1 April 2026",
        "window_ended": "29 April 2026",
        "late": False,
        "late_note": "",
        "decision_maker": "Sam Director, Assistant Director for Housing Management",
        "decision_due": "17 April 2026",
        "decided_on": "16 April 2026",
        "outcome": "the original decision stands",
        "grounds": "Misdescribed.",
    },
    "review": {
        "subject": "the arrangement “Contact limited to one channel”",
        "held_on": "1 October 2026",
        "outcome": "Continued",
        "outcome_code": "continue",
        "next_review_due": "1 April 2027",
    },
}

# Third-party contact, PVP, staff, SPOC and closure letters.
_REGISTER_LETTERS: dict[str, Any] = {
    "contact": {"name": "Łukasz Nowak", "relationship": "brother", "started_on": "1 April 2026"},
    "pvp": {
        "starts_on": "1 April 2026",
        "review_due": "1 April 2027",
        "reasons": "Threat of violence to a repairs operative.",
        "arrangements": "Two officers on all visits.",
    },
    "arrangements": ["Contact limited to one channel: Email only (until reviewed by 1 October 2026)."],
    "spoc": {
        "officer_name": "Priya Shah",
        "officer_contact": "email priya.shah@nph.example",
        "channels": "Email and Telephone",
        "contact_times": "Tuesdays 10:00-12:00",
        "contact_limit": "One call a week",
        "terms": "Emergency repairs by the usual line.",
        "starts_on": "1 April 2026",
        "review_due": "1 October 2026",
    },
    "closure": {"closed_on": "1 October 2026", "remaining": []},
}


def sample_context(letter_type: LetterType | str) -> dict:
    """A complete set of example facts for a letter type: used to check a template a manager
    has edited (every field it uses must be here) and by the tests and benchmark."""
    letter_type = LetterType(letter_type)
    ctx: dict[str, Any] = copy.deepcopy(
        _SHARED | _STAGE_LETTERS | _APPEAL_AND_REVIEW_LETTERS | _REGISTER_LETTERS
    )
    keep = CONTEXT_KEYS[letter_type] | {"letter_iso"}
    return {k: v for k, v in ctx.items() if k in keep}
