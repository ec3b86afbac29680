"""Version counters of a collection and of its partitions, and the keys that name them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventram.errors import ValidationError

__all__ = ["Versions"]


class Versions:
    """``name`` counts every write; ``name/<key>`` counts the writes to partition ``key``.

    Counters of partitions are kept when a partition empties, so a version never repeats.
    """

    __slots__ = ("collection", "name", "partitioned", "partitions")

    def __init__(self, name: str, partitioned: bool) -> None:
        self.name = name
        self.partitioned = partitioned
        self.collection = 0
        self.partitions: dict[str, int] = {}

    def key(self, partition: Any) -> str:
        """The version key of ``partition``."""
        return f"{self.name}/{partition}"

    def of(self, partition: Any) -> int:
        """The version of ``partition`` (0 if never written)."""
        return self.partitions.get(self.key(partition), 0)

    def bump(self, touched: Iterable[Any]) -> None:
        """One write happened, touching these partitions."""
        self.collection += 1
        if self.partitioned:
            partitions = self.partitions
            for partition in touched:
                key = self.key(partition)
                partitions[key] = partitions.get(key, 0) + 1

    def seen(self, pinned: Iterable[Any] | None) -> dict[str, int]:
        """What a read depends on: its pinned partitions, or the whole collection."""
        if pinned is None:
            return {self.name: self.collection}
        return {self.key(p): self.of(p) for p in pinned}

    def current(self, keys: Iterable[str]) -> dict[str, int]:
        """The present value of each version key; ``ValidationError`` for a foreign key."""
        found: dict[str, int] = {}
        prefix = self.name + "/"
        for key in keys:
            if key == self.name:
                found[key] = self.collection
            elif self.partitioned and key.startswith(prefix):
                found[key] = self.partitions.get(key, 0)
            else:
                raise ValidationError(
                    f"Version key {key!r} does not belong to collection {self.name!r}.",
                    field="keys",
                )
        return found

    def carry_from(self, previous: Versions) -> None:
        """Jump above every version ``previous`` ever reported."""
        self.collection += previous.collection + 1
        cut = len(previous.name) + 1
        for key, version in previous.partitions.items():
            own = self.key(key[cut:])
            self.partitions[own] = self.partitions.get(own, 0) + version + 1
