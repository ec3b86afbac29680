"""Helpers for the journal tests: filling a store, locating frames, damaging files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from eventram import AppendRequest, RecordedEvent
from eventram.store.durable import DurableStore
from eventram.store.journal.reader import Frame, JournalReader
from tests.contract.events import CartOpened, ItemAdded

__all__ = ["copy_data_dir", "fill", "fill_bulk", "flip_byte", "frames_of", "truncate"]


def fill(store: DurableStore, batches: int, *, prefix: str = "cart") -> list[RecordedEvent]:
    """Append ``batches`` batches of 1 to 3 events to a few streams; return the whole log."""
    for i in range(batches):
        events = [CartOpened(customer=f"c-{i}")] + [
            ItemAdded(sku=f"s-{i}-{k}") for k in range(i % 3)
        ]
        store.append(
            f"{prefix}-{i % 4}",
            events,
            stream_type="Cart",
            metadata={"organization_id": f"o-{i % 2}", "user_id": "u-1"},
            correlation_id=f"corr-{i}",
        )
    return store.read_all()


def fill_bulk(store: DurableStore, streams: int, *, prefix: str = "bulk") -> None:
    """One bulk append: one frame holding a batch for each of ``streams`` streams."""
    store.append_many(
        [
            AppendRequest(stream_id=f"{prefix}-{i}", events=[ItemAdded(sku=f"b-{i}")])
            for i in range(streams)
        ]
    )


def frames_of(data_dir: Path) -> list[Frame]:
    """Every sound frame of a data directory's journal, in order."""
    return list(JournalReader(data_dir / "journal").frames())


def copy_data_dir(source: Path, target: Path) -> Path:
    """A fresh copy of ``source`` at ``target`` (replacing what was there)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def truncate(path: Path, size: int) -> None:
    """Cut a file to ``size`` bytes."""
    os.truncate(path, size)


def flip_byte(path: Path, offset: int, mask: int = 0xFF) -> None:
    """Flip the bits of ``mask`` in the byte at ``offset`` of a file."""
    with path.open("r+b") as f:
        f.seek(offset)
        value = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([value ^ mask]))
