"""Versions of a projection's live read models, with its rebuild generation folded in."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar

from eventram.projection._handle import ProjectionHandle

__all__ = ["LiveVersions", "VersionedReadModel"]

S = TypeVar("S")


class VersionedReadModel(Protocol):
    """A read model whose writes bump versions, named ``"<name>"`` or ``"<name>/<partition>"``."""

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """The current version of each key."""
        ...


class LiveVersions(Generic[S]):
    """Version source for cached queries over a projection's state.

    ``read_models`` maps each read model's name (the part of a version key before ``/``) to
    the read model inside a state. Versions are always read from the *live* state, and the key
    ``"<projection>#generation"`` carries the rebuild generation: a rebuilt state restarts its
    counters, so without it an old cached answer could match the new state by accident.
    """

    def __init__(
        self,
        handle: ProjectionHandle[S],
        read_models: Callable[[S], Mapping[str, VersionedReadModel]],
    ) -> None:
        self._handle = handle
        self._read_models = read_models
        self.generation_key = f"{handle.name}#generation"

    def read(self, versions: Callable[[S], Mapping[str, int]]) -> dict[str, int]:
        """Versions computed from the live state by ``versions``, plus the generation."""
        generation, state = self._handle.live()
        found = dict(versions(state))
        found[self.generation_key] = generation
        return found

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """The current version of each key; unknown keys read as -1 (never equal to a version)."""
        generation, state = self._handle.live()
        models = self._read_models(state)
        by_model: dict[str, list[str]] = {}
        found: dict[str, int] = {}
        for key in keys:
            model = key.partition("/")[0]
            if key == self.generation_key:
                found[key] = generation
            elif model in models:
                by_model.setdefault(model, []).append(key)
            else:
                found[key] = -1
        for name, wanted in by_model.items():
            found.update(models[name].current_versions(wanted))
        return found
