"""Issue 16 item 6: accessible variants of a letter template. The same template (so the same
letter, the same fields), with a `{{ format_needs }}` line at the top of the body when the
customer has recorded needs, and in large print (every style and run at least 16 pt, the RNIB
clear-print minimum) when they need it. Variants are built from the template's bytes, so a
template a manager saves in Word is picked up the same way."""

from __future__ import annotations

import io
import threading

from docx import Document
from docx.shared import Pt

LARGE_PRINT_PT = 16
NEEDS_FIELD = "{{ format_needs }}"
_cache: dict[tuple[int, bool, bool], bytes] = {}
_lock = threading.Lock()


def _enlarge(document) -> None:
    minimum = Pt(LARGE_PRINT_PT)
    for style in document.styles:
        font = getattr(style, "font", None)
        if font is not None and (font.size is None or font.size < minimum):
            font.size = minimum
    parts = [document] + [s.header for s in document.sections] + [s.footer for s in document.sections]
    for part in parts:
        paragraphs = list(part.paragraphs)
        for table in part.tables:
            paragraphs += [p for row in table.rows for cell in row.cells for p in cell.paragraphs]
        for paragraph in paragraphs:
            for run in paragraph.runs:
                if run.font.size is not None and run.font.size < minimum:
                    run.font.size = minimum


def template_variant(source: bytes, *, needs_line: bool, large_print: bool) -> bytes:
    """The template with the needs line on top and/or in large print (cached per template)."""
    if not (needs_line or large_print):
        return source
    key = (hash(source), needs_line, large_print)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    document = Document(io.BytesIO(source))
    if needs_line and document.paragraphs:
        first = document.paragraphs[0].insert_paragraph_before(NEEDS_FIELD)
        first.runs[0].bold = True
    if large_print:
        _enlarge(document)
    out = io.BytesIO()
    document.save(out)
    data = out.getvalue()
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = data
    return data
