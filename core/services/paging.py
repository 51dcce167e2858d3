"""One page of a list a service returns: the rows, how many there are in all, and the keyset
cursor of the next page (pass it back as `after`; None on the last page). Lists are paged in SQL:
a page never loads the whole table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    next_after: Any = None
