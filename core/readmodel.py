"""The base of the typed read models services return (frozen dataclasses with real date and
datetime values). `row["field"]` still reads `row.field`: a bridge for callers elsewhere that
have not moved to attributes yet; new code uses attributes."""

from __future__ import annotations

from typing import Any


class ReadModel:
    """Mix into a frozen dataclass: item access by field name, for callers not yet moved."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None
