"""Drafting, sending and batching letters (policy Appendices A and B, clause 4.2).

- facts.py: loads the records each letter type is about and calls its pure builder (core/letters);
- drafting.py: find a case, draft, send, list and fetch letters (typed read models);
- batch.py: the letters due for a period and the batch zip.
"""

from __future__ import annotations

from core.services.letters.batch import Batch, BatchProblem, DueLetter, batch_zip, letters_due, week_of
from core.services.letters.drafting import (
    CASE_LIST_LIMIT,
    LETTER_TYPE_CHOICES,
    MAX_PARAGRAPHS,
    Draft,
    LetterCase,
    LetterFile,
    LetterOption,
    LetterSubject,
    SentLetter,
    SentLetterRow,
    draft_letter,
    draft_pdf,
    letter_cases,
    letter_content,
    letter_types_for_case,
    letters_for_case,
    mark_sent,
    pdf_available,
)

__all__ = [
    "LETTER_TYPE_CHOICES",
    "letter_cases",
    "letter_types_for_case",
    "draft_letter",
    "mark_sent",
    "letters_for_case",
    "letter_content",
    "letters_due",
    "batch_zip",
    "pdf_available",
    "draft_pdf",
    "week_of",
    "Draft",
    "LetterCase",
    "LetterOption",
    "LetterSubject",
    "SentLetter",
    "SentLetterRow",
    "LetterFile",
    "DueLetter",
    "BatchProblem",
    "Batch",
    "CASE_LIST_LIMIT",
    "MAX_PARAGRAPHS",
]
