"""The ``Idempotency-Key`` header, mapped onto the command it comes with.

Safe retries are the command bus's job (``eventram.IdempotencyMiddleware``, keys scoped per
organization by the bootstrap): the same key with the same command gets the first outcome
again, with another command a 422. HTTP only checks the header's shape and puts its value on
the command; the route renders what the bus returns, saying ``Idempotent-Replayed: true``
when the bus answered with a recorded outcome.
"""

from __future__ import annotations

import re
from typing import Final

from billing.entrypoints.http.errors import MalformedRequestError

__all__ = ["IDEMPOTENCY_HEADER", "REPLAYED_HEADER", "idempotency_key"]

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


def idempotency_key(header: str | None) -> str | None:
    """The command's idempotency key from the header: 1 to 255 visible ASCII characters."""
    if header is None:
        return None
    if not _KEY.fullmatch(header):
        raise MalformedRequestError(
            f"{IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters.",
            field=IDEMPOTENCY_HEADER,
        )
    return header
