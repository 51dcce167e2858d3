"""Issue 16 item 6: a customer's preferred format and communication needs. What a letter says
about them at the top, whether it is produced in large print, and which needs make writing
hard (the Equality Act check on a written-only restriction in core.policy.stages)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    preferred_format: str = "standard"  # core.enums_evidence.PreferredFormat code
    preferred_format_label: str = "Standard print"
    large_print: bool = False
    easy_read: bool = False
    interpreter_language: str = ""
    bsl: bool = False
    advocate_name: str = ""

    @property
    def wants_large_print(self) -> bool:
        return self.large_print or self.preferred_format == "large_print"


def needs_line(needs: Needs) -> str:
    """The line at the top of every letter drafted for the customer ("" when nothing is recorded)."""
    parts = []
    if needs.preferred_format != "standard":
        parts.append(f"preferred format: {needs.preferred_format_label.lower()}")
    if needs.large_print and needs.preferred_format != "large_print":
        parts.append("large print")
    if needs.easy_read and needs.preferred_format != "easy_read":
        parts.append("easy read")
    if needs.interpreter_language:
        parts.append(f"interpreter: {needs.interpreter_language}")
    if needs.bsl:
        parts.append("British Sign Language interpreter")
    if needs.advocate_name:
        parts.append(f"advocate: {needs.advocate_name} (send a copy)")
    return ("Communication needs: " + "; ".join(parts) + ".") if parts else ""


def writing_needs(needs: Needs) -> list[str]:
    """Recorded needs that make a written-only restriction hard to comply with."""
    found = []
    if needs.easy_read or needs.preferred_format in ("easy_read", "braille", "audio"):
        found.append("easy read or non-print format")
    if needs.interpreter_language:
        found.append(f"interpreter ({needs.interpreter_language})")
    if needs.bsl:
        found.append("British Sign Language")
    if needs.advocate_name:
        found.append("an advocate")
    return found
