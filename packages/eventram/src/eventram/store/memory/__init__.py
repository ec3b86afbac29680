"""The in-memory event store: one class owns the log, the streams, the id index, the watermark.

Building a batch (``_batches``), the secondary indexes (``_indexes``), what readers may see
(``_visibility``) and subscriptions (``subscription``) are its parts.
"""

from eventram.store.memory.store import InMemoryEventStore, utc_now
from eventram.store.memory.subscription import Subscription

__all__ = ["InMemoryEventStore", "Subscription", "utc_now"]
