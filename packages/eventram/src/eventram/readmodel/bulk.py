"""BulkWriter: the seeds' buffered store/update/delete, with flushes that are all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

__all__ = ["BulkWriter", "Op"]

Op = tuple[Any, ...]


class BulkWriter:
    """Buffers puts, patches and deletes; ``flush`` applies them in order as one atomic write.

    A flush that fails (a patch of a missing id, a document with a badly typed field) undoes
    the operations it had applied, clears the buffer and raises: the collection is left as it
    was. With ``auto_flush``, the buffer flushes by itself when it holds that many operations
    (as the seeds' ``bulkSize``). As a context manager, it flushes on a clean exit and discards
    the buffer when the block raises.
    """

    def __init__(
        self, apply: Callable[[Sequence[Op]], object], auto_flush: int | None = None
    ) -> None:
        self._apply = apply
        self._auto_flush = auto_flush
        self._ops: list[Op] = []

    @property
    def pending(self) -> int:
        """Operations buffered and not yet flushed."""
        return len(self._ops)

    def put(self, doc: Mapping[str, Any]) -> None:
        """Buffer storing ``doc`` (replacing any document with its id)."""
        self._push(("put", dict(doc)))

    def patch(self, doc_id: Any, fields: Mapping[str, Any]) -> None:
        """Buffer merging ``fields`` into the document ``doc_id``."""
        self._push(("patch", doc_id, dict(fields)))

    def delete(self, doc_id: Any) -> None:
        """Buffer removing the document ``doc_id`` (absent ids are skipped)."""
        self._push(("delete", doc_id))

    def _push(self, op: Op) -> None:
        self._ops.append(op)
        if self._auto_flush is not None and len(self._ops) >= self._auto_flush:
            self.flush()

    def flush(self) -> int:
        """Apply the buffer atomically; return how many operations were applied."""
        ops, self._ops = self._ops, []
        if ops:
            try:
                self._apply(ops)
            except Exception as exc:
                exc.add_note(f"bulk flush of {len(ops)} operations failed; none was applied")
                raise
        return len(ops)

    def discard(self) -> int:
        """Drop the buffer without applying it; return how many operations were dropped."""
        dropped, self._ops = len(self._ops), []
        return dropped

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
        else:
            self.discard()
