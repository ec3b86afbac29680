"""Index declarations: what a collection indexes, and how (hash, sorted, text)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["HashIndex", "IndexSpec", "SortedIndex", "TextIndex"]


class HashIndex(msgspec.Struct, frozen=True):
    """Equality and IN on ``field``: one posting set per distinct value (None included)."""

    field: str
    kind: Literal["hash"] = "hash"


class SortedIndex(msgspec.Struct, frozen=True):
    """Ranges and sort order on ``field`` (sortedcontainers); None sorts after every value."""

    field: str
    kind: Literal["sorted"] = "sorted"


class TextIndex(msgspec.Struct, frozen=True):
    """Word and prefix search on a text ``field``, case- and accent-insensitive."""

    field: str
    kind: Literal["text"] = "text"


IndexSpec = HashIndex | SortedIndex | TextIndex
