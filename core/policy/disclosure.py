"""Need-to-know look-ups (clause 4.2; issue 14 item 11): a viewer without case access (a
contractor or front-line viewer) finds a customer only by naming them precisely, by housing
reference or by full name plus postcode, never by a fragment that lists many customers. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import PolicyError

VIEWER_SEARCH_HELP = (
    "Enter a housing reference, or the customer's full name and postcode "
    "(for example: Jane Smith NN1 2AA). Staff with case access may also search by "
    "part of a name or address."
)
VIEWER_SEARCH_REFUSED = (
    "To find a customer, enter a housing reference, or the customer's full name "
    "and postcode (for example: Jane Smith NN1 2AA)."
)
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$", re.IGNORECASE)
_HOUSING_REF = re.compile(r"^[A-Z0-9][A-Z0-9/-]{2,39}$", re.IGNORECASE)


@dataclass(frozen=True)
class ViewerSearch:
    housing_ref: str | None = None  # upper case, as stored
    full_name: str | None = None  # words separated by one space, casefolded
    postcode: str | None = None  # upper case, no spaces


def normalise_postcode(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def normalise_name(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def viewer_search(query: str) -> ViewerSearch:
    """What a viewer's search box asks for: one housing reference, or a full name (at least two
    words) followed by a postcode. Anything else is refused with a reason."""
    text = " ".join((query or "").split())
    if " " not in text and _HOUSING_REF.match(text) and any(c.isdigit() for c in text):
        return ViewerSearch(housing_ref=text.upper())
    found = _POSTCODE.search(text)
    name = text[: found.start()].strip(" ,") if found else ""
    if found is None or len(name.split()) < 2:
        raise PolicyError(VIEWER_SEARCH_REFUSED)
    return ViewerSearch(full_name=normalise_name(name), postcode=normalise_postcode(found.group(0)))
