"""Rendering letters: the Word templates in templates/ filled in with docxtpl, read back as text,
checksummed, and converted to PDF where LibreOffice is installed.

Rendering is safe by construction:

- autoescaping is on, so `&`, `<`, `>`, quotes and apostrophes in names and free text come out
  in Word exactly as typed;
- the user's free-text paragraphs are passed as plain values, never as template source, so
  `{{ ... }}` or `{% ... %}` typed by a user is printed, not run;
- undefined fields raise (jinja2 StrictUndefined), so a template asking for a fact the
  context lacks fails in the tests (tests/unit/test_letter_templates.py), not in front of a user.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from docx import Document
from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined

from core.enums import LetterType
from core.errors import PolicyError
from core.letters.facts import CONTEXT_KEYS

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "templates"


class _CachingEnvironment(Environment):
    """Compiles each template's XML once per process (the source is the template, never user
    text: user values only ever arrive in the render context)."""

    _cache_limit = 64

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = super().from_string(source)
            with self._lock:
                if len(self._compiled) >= self._cache_limit:
                    self._compiled.clear()
                self._compiled[source] = compiled
        return compiled


def _finalize(value: Any) -> Any:
    return "" if value is None else value


def jinja_env() -> Environment:
    return _CachingEnvironment(autoescape=True, undefined=StrictUndefined, finalize=_finalize)


_ENV = jinja_env()
_template_cache: dict[Path, tuple[tuple[int, int], bytes, str]] = {}


def template_path(letter_type: LetterType | str) -> Path:
    return TEMPLATE_DIR / f"{LetterType(letter_type).value}.docx"


def _template(letter_type: LetterType | str) -> tuple[bytes, str]:
    """The template's bytes and version, re-read when a manager saves a new version."""
    path = template_path(letter_type)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise PolicyError(f"The letter template {path.name} is missing from {TEMPLATE_DIR}.") from None
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _template_cache.get(path)
    if cached is None or cached[0] != key:
        data = path.read_bytes()
        version = f"{path.name}@{hashlib.sha256(data).hexdigest()[:12]}"
        cached = (key, data, version)
        _template_cache[path] = cached
    return cached[1], cached[2]


def template_version(letter_type: LetterType | str) -> str:
    """File name plus the first 12 hex digits of the template's sha256."""
    return _template(letter_type)[1]


def missing_fields(
    letter_type: LetterType | str, context: dict | None = None, source: bytes | None = None
) -> set[str]:
    """Top-level fields the template uses that the context (default: CONTEXT_KEYS) lacks."""
    letter_type = LetterType(letter_type)
    data = source if source is not None else _template(letter_type)[0]
    keys = set(context) if context is not None else set(CONTEXT_KEYS[letter_type])
    used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(jinja_env())
    return used - keys


def render_docx(source: bytes, context: dict) -> bytes:
    """Render template bytes with the context (autoescaped, strict) and return the .docx bytes."""
    template = DocxTemplate(io.BytesIO(source))
    template.render(context, jinja_env=_ENV, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def render(letter_type: LetterType | str, context: dict, *, large_print: bool = False) -> bytes:
    """Render a letter; a non-empty `format_needs` in the context puts that line at the top, and
    `large_print` uses the large-print variant of the same template (core.letters.accessible)."""
    source = _template(letter_type)[0]
    if context.get("format_needs") or large_print:
        from core.letters.accessible import template_variant

        source = template_variant(
            source, needs_line=bool(context.get("format_needs")), large_print=large_print
        )
    return render_docx(source, context)


def docx_text(content: bytes) -> str:
    """The letter's text as python-docx reads it: header, body (with tables) and footer."""
    doc = Document(io.BytesIO(content))
    lines: list[str] = []
    for section in doc.sections:
        lines += [p.text for p in section.header.paragraphs]
    lines += [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    for section in doc.sections:
        lines += [p.text for p in section.footer.paragraphs]
    return "\n".join(lines)


def preview_text(content: bytes) -> str:
    """Body paragraphs only (line breaks as typed), blank runs collapsed: the page's preview."""
    doc = Document(io.BytesIO(content))
    text = "\n".join(p.text for p in doc.paragraphs)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- PDF (optional) --------------------------------------------------------------------------
def libreoffice_binary() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def pdf_available() -> bool:
    return libreoffice_binary() is not None


def to_pdf(content: bytes, timeout: int = 120) -> bytes:
    """Convert a .docx to PDF with `libreoffice --headless --convert-to pdf`."""
    binary = libreoffice_binary()
    if binary is None:
        raise PolicyError("PDF conversion needs LibreOffice, which is not installed on this server.")
    with tempfile.TemporaryDirectory(prefix="ft-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "letter.docx"
        source.write_bytes(content)
        command = [
            binary,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ]
        try:
            subprocess.run(command, check=True, timeout=timeout, capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
            raise PolicyError(
                "LibreOffice could not convert this letter to PDF; download the .docx instead."
            ) from None
        result = folder / "letter.pdf"
        if not result.exists():
            raise PolicyError("LibreOffice did not produce a PDF; download the .docx instead.")
        return result.read_bytes()
