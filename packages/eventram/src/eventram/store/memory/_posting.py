"""A posting index: for each key, the ascending global positions of the events that carry it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from itertools import compress, repeat
from operator import eq
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

_EMPTY: tuple[int, ...] = ()
_FEW_KEYS = 3  # up to this many distinct keys in a run, pick each key's positions in C


class PostingIndex(Generic[K]):
    """Maps keys to ascending position lists; a key seen once costs one int, not a list."""

    __slots__ = ("_postings",)

    def __init__(self) -> None:
        self._postings: dict[K, int | list[int]] = {}

    def add(self, key: K, position: int) -> None:
        """Record that the event at ``position`` carries ``key`` (positions arrive ascending)."""
        postings = self._postings
        current = postings.get(key)
        if current is None:
            postings[key] = position
        elif type(current) is int:
            postings[key] = [current, position]
        else:
            current.append(position)  # type: ignore[union-attr]

    def extend(self, key: K, positions: list[int]) -> None:
        """Record ``key`` at each of ``positions``: ascending, after any already recorded.

        The index may keep ``positions`` itself: the caller must not change it afterwards.
        """
        postings = self._postings
        current = postings.get(key)
        if current is None:
            postings[key] = positions[0] if len(positions) == 1 else positions
        elif type(current) is int:
            postings[key] = [current, *positions]
        else:
            current.extend(positions)  # type: ignore[union-attr]

    def add_run(self, keys: Sequence[K | None], positions: Sequence[int]) -> None:
        """Record ``keys[i]`` at ``positions[i]`` for each i (ascending); None keys are skipped.

        One call per run of events instead of one per event. A run of one key, or of a few
        distinct keys (the usual run of event types or stream types), is added with list
        operations done in C; other runs key by key. Pass the envelopes' own position objects,
        so the index shares them instead of holding copies.
        """
        count = len(keys)
        if not count:
            return
        first = keys[0]
        if keys.count(first) == count:
            if first is not None:
                self.extend(first, list(positions))
            return
        distinct = set(keys)
        if len(distinct) <= _FEW_KEYS:
            for key in distinct:
                if key is not None:
                    self.extend(key, list(compress(positions, map(eq, keys, repeat(key)))))
            return
        postings = self._postings
        for key, position in zip(keys, positions, strict=True):
            if key is not None:
                current = postings.get(key)
                if current is None:
                    postings[key] = position
                elif type(current) is int:
                    postings[key] = [current, position]
                else:
                    current.append(position)  # type: ignore[union-attr]

    def get(self, key: K) -> Sequence[int]:
        """Positions carrying ``key``, ascending."""
        current = self._postings.get(key)
        if current is None:
            return _EMPTY
        if type(current) is int:
            return (current,)
        return current  # type: ignore[return-value]

    def count(self, key: K) -> int:
        """How many events carry ``key``."""
        current = self._postings.get(key)
        if current is None:
            return 0
        return 1 if type(current) is int else len(current)  # type: ignore[arg-type]

    def keys(self) -> list[K]:
        """Every key seen."""
        return list(self._postings)
