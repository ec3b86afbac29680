"""The write model: aggregates, the repository that loads and saves them, aggregate snapshots."""

from eventram.model.aggregate import Aggregate
from eventram.model.repository import Repository
from eventram.model.snapshot import InMemorySnapshotStore, Snapshot, SnapshotStore

__all__ = ["Aggregate", "InMemorySnapshotStore", "Repository", "Snapshot", "SnapshotStore"]
