"""The journal writer: appends frames to the active segment under an fsync policy.

It implements the store's ``Journal`` port. ``write`` runs under the store's append lock, so
frames land in commit order; ``wait_durable`` runs outside it, so while one thread waits for an
``fsync`` others write their frames, and the next ``fsync`` covers all of them (group commit).

Policies: ``always`` (an append returns once its frame is on disk), ``interval`` (a background
thread syncs every ``interval_ms``; the frame is in the OS before the append returns, so a
process crash loses nothing, a power loss at most the last interval), ``never`` (no ``fsync``
while running; the OS writes back when it likes).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from _thread import LockType
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Literal, NoReturn, get_args

from eventram.envelope import RecordedEvent
from eventram.errors import JournalWriteError, StoreClosedError, ValidationError
from eventram.store.journal.active import ActiveSegment
from eventram.store.journal.frame import encode_frame
from eventram.store.journal.lock import DirectoryLock
from eventram.store.journal.segment import (
    HEADER_SIZE,
    SegmentHeader,
    create_segment,
    segment_path,
)

__all__ = ["DEFAULT_SEGMENT_SIZE", "FsyncPolicy", "JournalTail", "JournalWriter"]

FsyncPolicy = Literal["always", "interval", "never"]
DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024

log = logging.getLogger("eventram.journal")

# Frames are synced with fdatasync where there is one (Linux): it flushes the data and the
# file size that reading it back needs, and skips the timestamps a full fsync also writes.
_sync_data = getattr(os, "fdatasync", os.fsync)
_new_lock = threading.Lock
# rounds a sync leader runs back to back while other writers wait, before handing the lead on:
# a thread already awake syncs sooner than a parked one can be woken to do it
_LEAD_ROUNDS = 32


@dataclass(frozen=True)
class JournalTail:
    """Where the journal ends: the last segment (0: none yet), its sound size, the next position."""

    index: int
    size: int
    next_position: int


def check_policy(fsync: str, interval_ms: float, segment_size: int) -> FsyncPolicy:
    """Validate the writer's settings; return the policy."""
    if fsync not in get_args(FsyncPolicy):
        raise ValidationError(
            f"fsync={fsync!r} is not a policy: use always, interval or never.", field="fsync"
        )
    if not interval_ms > 0:
        raise ValidationError(f"interval_ms={interval_ms!r} must be > 0.", field="interval_ms")
    if segment_size < 4096:
        raise ValidationError(
            f"segment_size={segment_size!r} must be at least 4096 bytes.", field="segment_size"
        )
    return fsync  # type: ignore[return-value]


class JournalWriter:
    """Appends frames to segment files in ``directory``, syncing them under ``fsync``.

    Nothing touches the disk until :meth:`open` says where recovery found the journal's end.
    The writer owns ``lock`` (if given) and releases it on :meth:`close`.
    """

    def __init__(
        self,
        directory: Path,
        *,
        fsync: FsyncPolicy = "interval",
        interval_ms: float = 100.0,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        lock: DirectoryLock | None = None,
    ) -> None:
        self.policy = check_policy(fsync, interval_ms, segment_size)
        self.directory = directory
        self._segment_size = segment_size
        self._interval = interval_ms / 1000.0
        self._lock = lock
        self._sync = fsync != "never"
        self._next_position = 1
        self._mutex = threading.Lock()
        self._waiters: list[tuple[int, LockType]] = []  # (ticket, lock) of parked threads
        self._written = 0
        self._durable = 0
        self._syncs = 0
        self._sync_seconds = 0.0
        self._syncing = False
        self._failure: JournalWriteError | None = None
        self._closed = False
        self._segment: ActiveSegment | None = None
        self._index = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self, tail: JournalTail) -> None:
        """Go on appending where ``tail`` says the journal ends (index 0: start segment 1)."""
        if self._segment is not None:
            raise StoreClosedError("The journal writer is already open.")
        self._next_position = tail.next_position
        if tail.index == 0:
            self._segment = self._create(SegmentHeader(1, tail.next_position))
            self._index = 1
        else:
            path = segment_path(self.directory, tail.index)
            try:
                self._segment = ActiveSegment.open(path, tail.size, self._segment_size)
            except OSError as exc:
                raise JournalWriteError(str(path), exc) from exc
            self._index = tail.index
        if self.policy == "interval":
            self._thread = threading.Thread(
                target=self._sync_periodically, name="eventram-journal-fsync", daemon=True
            )
            self._thread.start()

    @property
    def waits(self) -> bool:
        """Whether appends wait for their frame's fsync before it is shown (``always``)."""
        return self.policy == "always"

    @property
    def path(self) -> Path:
        """The active segment file."""
        return segment_path(self.directory, self._index)

    # -- the Journal port --------------------------------------------------------------------

    def write(self, batches: Sequence[Sequence[RecordedEvent]]) -> int:
        """Append ``batches`` as one frame; return its ticket. Nothing is left of a failed write."""
        segment = self._segment
        if segment is None or self._failure is not None or self._closed:
            self._refuse()
        frame = encode_frame(batches)
        start = segment.size
        if start + len(frame) > self._segment_size and start > HEADER_SIZE:
            segment = self._rotate()
            start = segment.size
        try:
            segment.append(frame, mapped=self.policy != "always" or bool(self._waiters))
        except OSError as exc:
            self._cut_back(start, exc)
            raise JournalWriteError(str(self.path), exc) from exc
        self._next_position = batches[-1][-1].position + 1
        # only this method changes _written, always under the store's append lock; a syncer
        # that reads it a moment early covers fewer frames, never a frame not yet written
        self._written += 1
        return self._written

    def _refuse(self) -> NoReturn:
        if self._failure is not None and not self._closed:
            raise self._failure
        raise StoreClosedError("The journal is not open; open the store again to write.")

    def wait_durable(self, ticket: int) -> None:
        """Return once frame ``ticket`` is durable under the policy (``always``: on disk)."""
        if self.policy != "always":
            if self._failure is not None:
                raise self._failure
            return
        if self._durable >= ticket:  # a sync led by another thread covered it: no lock needed
            return
        with self._mutex:
            self._await(ticket)

    # -- syncing -----------------------------------------------------------------------------

    def _await(self, ticket: int) -> None:
        """Return once frames up to ``ticket`` are synced, leading a sync when none runs.

        ``_mutex`` is held on entry and on return. While one thread syncs, the others park.
        Each sync wakes the waiters it made durable; while others still wait, its leader syncs
        again at once (up to ``_LEAD_ROUNDS`` times), each round covering every frame written
        during the last, then hands the lead to the oldest waiter: group commit without a
        gathering delay.
        """
        while self._durable < ticket:
            if self._failure is not None:
                raise self._failure
            if self._syncing:
                self._park(ticket)
            else:
                self._sync_locked(ticket)

    def _park(self, ticket: int) -> None:
        """Sleep until a sync wakes this thread; ``_mutex`` is released meanwhile."""
        # a lock of its own per waiter: waking one costs one release, and a woken thread does
        # not queue on a shared condition lock behind every other woken thread
        waiter = _new_lock()
        waiter.acquire()
        self._waiters.append((ticket, waiter))
        self._mutex.release()
        try:
            waiter.acquire()
        finally:
            self._mutex.acquire()

    def _wake(self, handoff: bool = True) -> None:
        """After a sync (``_mutex`` held): wake the waiters it made durable, and one leader."""
        waiters = self._waiters
        if not waiters:
            return
        if self._failure is not None:
            self._waiters = []
            for _, waiter in waiters:
                waiter.release()
            return
        durable = self._durable
        left = [entry for entry in waiters if entry[0] > durable]
        if len(left) < len(waiters):
            for ticket, waiter in waiters:
                if ticket <= durable:
                    waiter.release()
        if left and handoff:
            oldest = min(left, key=itemgetter(0))
            left.remove(oldest)
            oldest[1].release()  # it finds no sync running, so it leads the next
        self._waiters = left

    def _sync_locked(self, ticket: int = 0) -> None:
        """Lead sync rounds until frame ``ticket`` is durable and nobody waits (or the cap).

        ``_mutex`` is held on entry. It is released during each ``fsync``, so other appends
        keep writing; their frames wait for the next round.
        """
        for _ in range(_LEAD_ROUNDS):
            try:
                self._sync_round()
            except JournalWriteError:
                if self._durable < ticket:
                    raise
                return  # a round for the others failed: they get the error, this frame is safe
            if self._durable < ticket or not self._waiters or self._durable >= self._written:
                break
        self._wake()

    def _sync_round(self) -> None:
        """One fsync covering every frame written so far; wakes only the waiters it covers."""
        self._syncing = True
        target, fd = self._written, self._segment.fd  # type: ignore[union-attr]
        self._mutex.release()
        error: OSError | None = None
        started = time.perf_counter()
        try:
            _sync_data(fd)
        except OSError as exc:
            error = exc
        finally:
            self._mutex.acquire()
            self._syncing = False
            self._sync_seconds += time.perf_counter() - started
        if error is not None:
            self._fail(error)
            self._wake()
            raise self._failure  # type: ignore[misc]
        self._syncs += 1
        self._durable = max(self._durable, target)
        self._wake(handoff=False)

    def sync(self) -> None:
        """fsync now every frame written so far (whatever the policy)."""
        with self._mutex:
            if self._failure is not None:
                raise self._failure
            self._await(self._written)

    def _sync_periodically(self) -> None:
        while not self._stop.wait(self._interval):
            with self._mutex:
                if self._syncing or self._durable >= self._written or self._failure is not None:
                    continue
                try:
                    self._sync_locked()
                except JournalWriteError:
                    log.exception("The journal could not be synced to disk; writes are refused.")
                    return

    def _fail(self, error: OSError) -> None:
        """Remember a failure that makes the file's state unknown: every later write refuses."""
        if self._failure is None:
            self._failure = JournalWriteError(str(self.path), error)

    # -- segments ----------------------------------------------------------------------------

    def _create(self, header: SegmentHeader) -> ActiveSegment:
        path = segment_path(self.directory, header.index)
        try:
            fd = create_segment(self.directory, header, sync=self._sync)
            return ActiveSegment(path, fd, HEADER_SIZE, self._segment_size)
        except OSError as exc:
            raise JournalWriteError(str(path), exc) from exc

    def _rotate(self) -> ActiveSegment:
        """Seal the active segment (synced unless ``never``) and open the next one."""
        with self._mutex:
            if self._sync:
                self._await(self._written)
            else:
                while self._syncing:  # an explicit sync() of the old file: let it finish
                    self._park(self._written)
                self._wake()  # if it woke this thread to lead, pass the lead on
            segment = self._create(SegmentHeader(self._index + 1, self._next_position))
            old, self._segment = self._segment, segment
            self._index += 1
            if old is not None:
                old.close()
            return segment

    def _cut_back(self, start: int, cause: OSError) -> None:
        """Truncate a partly written frame away so the file ends at a frame boundary."""
        try:
            self._segment.cut_back(start)  # type: ignore[union-attr]
        except OSError as exc:
            log.error("Could not cut a partial frame off %s: %s", self.path, exc)
            with self._mutex:
                self._fail(cause)
                self._wake()

    # -- closing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Sync what was written, close the segment and release the directory lock."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self._failure is None:
                self.sync()
        except JournalWriteError:
            log.exception("The journal could not be synced on close.")
        finally:
            if self._segment is not None:
                self._segment.close()
                self._segment = None
            if self._lock is not None:
                self._lock.release()

    @property
    def frames_written(self) -> int:
        """Frames written since the writer opened."""
        return self._written

    @property
    def frames_durable(self) -> int:
        """Of those, how many are known to be on disk (synced)."""
        return self._durable

    @property
    def syncs(self) -> int:
        """How many fsyncs of segment files were done (group commit makes it < frames)."""
        return self._syncs

    @property
    def fsync_seconds(self) -> float:
        """Time spent in fsyncs of segment files, in seconds."""
        return self._sync_seconds

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed
