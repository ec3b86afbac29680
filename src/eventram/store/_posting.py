"""A posting index: for each key, the ascending global positions of the events that carry it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

_EMPTY: tuple[int, ...] = ()


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

    def add_run(self, keys: Sequence[K | None], positions: Sequence[int]) -> None:
        """Record ``keys[i]`` at ``positions[i]`` for each i (ascending); None keys are skipped.

        One call per run of events instead of one per event: what catching up the indexes on
        many new events costs is then mostly the dict work. Pass the envelopes' own position
        objects, so the index shares them instead of holding copies.
        """
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
