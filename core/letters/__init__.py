"""Letters from the Word templates in templates/ (policy Appendices A and B, clauses 4.1, 4.2).

- core/letters/rendering.py: docxtpl rendering (autoescaped, strict), text, checksum, PDF;
- core/letters/wording.py: British dates, lists in prose, how people and incidents are described;
- core/letters/facts.py: the context every letter shares and which facts each type gets;
- core/letters/builders.py: one facts builder per letter type (pure);
- core/letters/sample.py: example facts for checking templates.

The queries that load a letter's records live in core/services/letters/; the rule "which letters
start an appeal window" in core/policy/letters.py. Services add permissions and the audit trail.
"""

from __future__ import annotations

from core.letters.facts import (
    CONTEXT_KEYS,
    SUBJECT_TYPE,
    Body,
    LetterFacts,
    appeal_route,
    assemble,
    context_with_paragraphs,
)
from core.letters.rendering import (
    TEMPLATE_DIR,
    checksum,
    docx_text,
    jinja_env,
    libreoffice_binary,
    missing_fields,
    pdf_available,
    preview_text,
    render,
    render_docx,
    template_path,
    template_version,
    to_pdf,
)
from core.letters.sample import sample_context
from core.letters.wording import (
    APPEAL_OUTCOME_WORDS,
    ICT_AD,
    ORGANISATION,
    UK,
    british_date,
    join_words,
    safe_filename_part,
    split_paragraphs,
)
from core.policy.letters import (
    CUSTOMER_LETTERS,
    STAGE_OF_LETTER,
    STARTS_APPEAL_WINDOW,
    letter_appeal_window_start,
)

# Moved to core/services/letters/facts.py (they run queries); still importable from here.
_MOVED_TO_SERVICES = frozenset({"letter_facts", "subjects_for", "staff_arrangements", "load_case"})


def __getattr__(name: str):
    if name in _MOVED_TO_SERVICES:
        from core.services.letters import facts as loaded

        return getattr(loaded, name)
    raise AttributeError(f"module 'core.letters' has no attribute {name!r}")


__all__ = [
    "CONTEXT_KEYS",
    "SUBJECT_TYPE",
    "STARTS_APPEAL_WINDOW",
    "CUSTOMER_LETTERS",
    "STAGE_OF_LETTER",
    "LetterFacts",
    "Body",
    "british_date",
    "join_words",
    "letter_appeal_window_start",
    "split_paragraphs",
    "safe_filename_part",
    "template_path",
    "template_version",
    "missing_fields",
    "render",
    "render_docx",
    "docx_text",
    "preview_text",
    "checksum",
    "pdf_available",
    "to_pdf",
    "libreoffice_binary",
    "jinja_env",
    "sample_context",
    "context_with_paragraphs",
    "assemble",
    "appeal_route",
    "TEMPLATE_DIR",
    "UK",
    "ORGANISATION",
    "ICT_AD",
    "APPEAL_OUTCOME_WORDS",
    "letter_facts",
    "subjects_for",
    "staff_arrangements",
    "load_case",
]
