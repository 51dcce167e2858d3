"""Input cleaning shared by every service: what a tired user types becomes a clear PolicyError."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from core.errors import PolicyError

MAX_TEXT = 20_000  # long free text (descriptions, reasons)
MAX_LINE = 200  # names, references, single-line fields
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str | None, field: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str:
    """Strip, normalise and check a free-text value; keeps emoji and non-English letters."""
    text = unicodedata.normalize("NFC", (value or "")).strip()
    if _CONTROL.search(text):
        raise PolicyError(f"{field} contains control characters; please retype it.")
    if required and not text:
        raise PolicyError(f"{field} is required.")
    if len(text) > max_len:
        raise PolicyError(f"{field} is too long ({len(text):,} characters; the limit is {max_len:,}).")
    return text


def clean_line(value: str | None, field: str, *, required: bool = False, max_len: int = MAX_LINE) -> str:
    text = clean_text(value, field, required=required, max_len=max_len)
    if "\n" in text or "\r" in text:
        raise PolicyError(f"{field} must be a single line.")
    return text


def not_in_future(moment: dt.datetime, field: str, now: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if moment > now + dt.timedelta(minutes=1):
        raise PolicyError(f"{field} cannot be in the future.")
    return moment


def parse_enum(enum_cls: type, value: object, field: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise PolicyError(f"{field}: {value!r} is not one of the allowed choices.") from None


MAX_ID = 2**63 - 1  # the largest id either database can store


def record_id(value: object) -> int | None:
    """A record id typed by hand or in an address (`?customer_id=`): a positive whole number the
    databases can hold, else None (so '99999999999999999999' finds nothing instead of failing)."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
