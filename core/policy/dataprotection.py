"""Data-protection rules (clause 6) as plain functions: retention, erasure blockers and the
free-text scan that flags other people's personal data before a subject access pack is released.
No database, no clock: callers pass `today` and plain values in."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import PolicyError
from core.policy.deadlines import add_months

DEFAULT_RETENTION_YEARS = 6
RETENTION_ENV = "FT_RETENTION_YEARS"

RECTIFICATION_DECISIONS = ("amend", "annotate", "remove", "refuse")


def identical_request(
    open_same_kind: Iterable[tuple[int, dt.date, str]], received_on: dt.date, details: str
) -> int | None:
    """The open request of the same kind for the same person that a new one merely repeats
    (same date received, same wording), or None. (id, received_on, details) per open request."""
    wanted = " ".join((details or "").split()).casefold()
    for request_id, received, text in open_same_kind:
        if received == received_on and " ".join((text or "").split()).casefold() == wanted:
            return request_id
    return None


def retention_years(years: int | None = None, environ: dict | None = None) -> int:
    """The retention period in years: the parameter, else FT_RETENTION_YEARS, else 6."""
    if years is None:
        raw = (environ if environ is not None else os.environ).get(RETENTION_ENV, "").strip()
        if not raw:
            return DEFAULT_RETENTION_YEARS
        try:
            years = int(raw)
        except ValueError:
            raise PolicyError(f"{RETENTION_ENV} must be a whole number of years, not {raw!r}.") from None
    if not 1 <= int(years) <= 100:
        raise PolicyError("The retention period must be between 1 and 100 years.")
    return int(years)


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """Records whose last activity is on or before this date have passed the retention period."""
    return add_months(today, -12 * years)


def is_due_for_deletion(closed: bool, last_activity: dt.date, today: dt.date, years: int) -> bool:
    """A closed case with no activity for `years` years is due for deletion."""
    return closed and last_activity <= retention_cutoff(today, years)


@dataclass(frozen=True)
class Holds:
    """What is still live for a customer, in plain counts/flags."""

    active_formal_actions: int = 0
    active_spoc_entries: int = 0
    active_pvp_entries: int = 0
    open_appeals: int = 0
    legal_hold: bool = False
    legal_hold_reason: str = ""


def erasure_blockers(holds: Holds) -> list[str]:
    """Why a customer's data cannot be erased now (empty list: it can)."""
    reasons = []
    if holds.active_formal_actions:
        reasons.append(
            f"{holds.active_formal_actions} formal-stage restriction(s) are still active; "
            "they must be lifted or ended at review first."
        )
    if holds.active_spoc_entries:
        reasons.append("The customer is on the SPOC register with an active entry; end it first.")
    if holds.active_pvp_entries:
        reasons.append(
            "The customer is on the PVP register with an active entry; the H&S Well-being "
            "Officer must end it first."
        )
    if holds.open_appeals:
        reasons.append(f"{holds.open_appeals} appeal(s) are still awaiting a decision.")
    if holds.legal_hold:
        why = f" ({holds.legal_hold_reason})" if holds.legal_hold_reason else ""
        reasons.append(f"The record is under a legal hold{why}; the hold must be released first.")
    return reasons


def retention_blockers(holds: Holds) -> list[str]:
    """Why a closed, stale case may still not be deleted (a legal hold on its customer)."""
    if holds.legal_hold:
        why = f" ({holds.legal_hold_reason})" if holds.legal_hold_reason else ""
        return [f"The customer is under a legal hold{why}."]
    return []


# ---- flagging other people's personal data in free text ---------------------------------

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)
_DIGITS = re.compile(r"\+?\d[\d ()\-]{8,}\d")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def _norm(word: str) -> str:
    return word.replace("’", "'").casefold()


def _phone_key(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class Identity:
    """Another person's identifiers to look for in free text."""

    label: str  # e.g. "another customer"
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    reference: str = ""
    email: str = ""
    phone: str = ""


class RedactionScanner:
    """Finds other people's names, references, emails and phone numbers in free text.

    Built once per pack from every other customer's identifiers; `scan(text)` returns
    (what was found, kind) pairs. Matching is by whole words, case-insensitive.
    """

    def __init__(self, others: Iterable[Identity], exclude_names: Iterable[str] = ()) -> None:
        excluded = {tuple(_norm(w) for w in _WORD.findall(n)) for n in exclude_names if n}
        self.names: dict[tuple[str, ...], str] = {}
        self.refs: dict[str, str] = {}
        self.emails: dict[str, str] = {}
        self.phones: dict[str, str] = {}
        for person in others:
            first = tuple(_norm(w) for w in _WORD.findall(person.first_name or ""))
            last = tuple(_norm(w) for w in _WORD.findall(person.last_name or ""))
            if first and last and first + last not in excluded:
                self.names[first + last] = f"{person.label}'s name"
                if person.title:
                    title = tuple(_norm(w) for w in _WORD.findall(person.title))
                    if title and title + last not in excluded:
                        self.names.setdefault(title + last, f"{person.label}'s name")
            if person.reference and len(person.reference) >= 4:
                self.refs[person.reference.casefold()] = f"{person.label}'s reference"
            if person.email:
                self.emails[person.email.casefold()] = f"{person.label}'s email address"
            phone = _phone_key(person.phone or "")
            if len(phone) >= 9:
                self.phones[phone] = f"{person.label}'s phone number"
        self.max_len = max((len(k) for k in self.names), default=0)

    def scan(self, text: str) -> list[tuple[str, str]]:
        if not text or not isinstance(text, str):
            return []
        found: list[tuple[str, str]] = []
        spans = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
        words = [_norm(w) for w, _, _ in spans]
        for i, word in enumerate(words):
            if word in self.refs:
                found.append((spans[i][0], self.refs[word]))
            for n in range(2, self.max_len + 1):
                if i + n > len(words):
                    break
                key = tuple(words[i : i + n])
                if key in self.names:
                    found.append((text[spans[i][1] : spans[i + n - 1][2]], self.names[key]))
        for match in _EMAIL.finditer(text):
            if match.group(0).casefold() in self.emails:
                found.append((match.group(0), self.emails[match.group(0).casefold()]))
        for match in _DIGITS.finditer(text):
            if _phone_key(match.group(0)) in self.phones:
                found.append((match.group(0), self.phones[_phone_key(match.group(0))]))
        return found


@dataclass(frozen=True)
class LookupKeys:
    """What to look up in the database to build a scanner for some texts: only people whose
    last name, reference, email or phone appears in the texts can be found by the scan, so
    the scanner never needs anyone else (its cost follows the texts, not the customer count)."""

    phrases: frozenset[str]  # words and runs of up to 3 words, as written (last names)
    references: frozenset[str]  # single words of 4+ characters, upper-cased (housing references)
    emails: frozenset[str]  # e-mail addresses, lower-cased
    phones: frozenset[str]  # phone keys (digits only, 0 for +44)


def lookup_keys(texts: Iterable[str], max_words: int = 3) -> LookupKeys:
    """The candidate last names, references, emails and phone numbers in free text."""
    phrases: set[str] = set()
    references: set[str] = set()
    emails: set[str] = set()
    phones: set[str] = set()
    for text in texts:
        if not text or not isinstance(text, str):
            continue
        words = _WORD.findall(text)
        for i, word in enumerate(words):
            if len(word) >= 4:
                references.add(word.upper())
            for n in range(1, max_words + 1):
                if i + n <= len(words):
                    phrases.add(" ".join(words[i : i + n]))
        emails.update(m.group(0).casefold() for m in _EMAIL.finditer(text))
        phones.update(k for k in (_phone_key(m.group(0)) for m in _DIGITS.finditer(text)) if len(k) >= 9)
    return LookupKeys(frozenset(phrases), frozenset(references), frozenset(emails), frozenset(phones))


def name_spellings(phrase: str) -> set[str]:
    """The ways a name written in free text may be stored (as written, Title Case, upper, lower,
    either apostrophe), so an indexed exact look-up finds it."""
    out: set[str] = set()
    for form in {phrase, phrase.replace("’", "'"), phrase.replace("'", "’")}:
        out |= {form, form.title(), form.upper(), form.lower(), form[:1].upper() + form[1:].lower()}
    return out
