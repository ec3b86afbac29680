"""Safe retries: a POST with an ``Idempotency-Key`` gets the first response again.

Keys are scoped per tenant (two organizations may use the same key). The same key with the
same method, path and body replays the first response (status, body and headers, plus
``Idempotent-Replayed: true``); with anything else it is a 422. A duplicate that arrives while
the first is still running waits for it. Server errors (5xx) are not remembered, so a retry after
a failed write really retries. Memory is bounded: at most ``max_entries`` keys, each kept for at
most ``ttl`` seconds, least recently used forgotten first.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

from litestar.enums import ScopeType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from billing.entrypoints.http.context import tenant_of
from billing.entrypoints.http.errors import IdempotencyKeyReusedError, MalformedRequestError

__all__ = ["IDEMPOTENCY_HEADER", "IdempotencyCache", "IdempotencyMiddleware"]

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_NOT_REPLAYED: Final = {b"x-request-id", b"date", b"server"}


@dataclass
class _Entry:
    fingerprint: bytes
    created: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    failed: bool = False


class IdempotencyCache:
    """Remembered responses by (tenant, key), bounded in count and age."""

    def __init__(self, max_entries: int = 10_000, ttl: float = 24 * 3600.0) -> None:
        self._max = max_entries
        self._ttl = ttl
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def claim(self, scope_key: tuple[str, str], fingerprint: bytes) -> tuple[_Entry, bool]:
        """The entry for a key and whether the caller is first (and must fill it)."""
        now = time.monotonic()
        entry = self._entries.get(scope_key)
        if entry is not None and (now - entry.created > self._ttl or entry.failed):
            del self._entries[scope_key]
            entry = None
        if entry is not None:
            self._entries.move_to_end(scope_key)
            return entry, False
        entry = self._entries[scope_key] = _Entry(fingerprint, now)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return entry, True

    def forget(self, scope_key: tuple[str, str], entry: _Entry) -> None:
        """Drop a failed first attempt, so the next retry runs again."""
        entry.failed = True
        if self._entries.get(scope_key) is entry:
            del self._entries[scope_key]


class IdempotencyMiddleware(ASGIMiddleware):
    """Replays the first response to a POST retried with the same ``Idempotency-Key``.

    It runs after authentication (it needs the tenant) and reads the body itself, so it
    enforces the body limit (413) before anything else sees the body.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, cache: IdempotencyCache, max_body_size: int) -> None:
        self._cache = cache
        self._max_body = max_body_size

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        key = _header(scope, b"idempotency-key")
        method = str(scope.get("method", ""))
        if method != "POST" or key is None:
            await next_app(scope, receive, send)
            return
        if not _KEY.fullmatch(key):
            raise MalformedRequestError(
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
                field=IDEMPOTENCY_HEADER,
            )
        body = await self._read_body(receive)
        fingerprint = hashlib.sha256(
            method.encode() + b" " + scope["path"].encode() + b"\n" + body
        ).digest()
        scope_key = (tenant_of(scope) or "", key)
        entry, first = self._cache.claim(scope_key, fingerprint)
        if not first:
            if entry.fingerprint != fingerprint:
                raise IdempotencyKeyReusedError(
                    f"Idempotency-Key {key!r} was already used for a different request; "
                    "use a new key for a new request.",
                    field=IDEMPOTENCY_HEADER,
                )
            await entry.done.wait()
            if not entry.failed:
                await _replay(entry, send)
                return
            entry, first = self._cache.claim(scope_key, fingerprint)
            if not first:  # another retry took over; follow it
                await entry.done.wait()
                if not entry.failed:
                    await _replay(entry, send)
                    return
        await self._run_first(scope, body, send, next_app, scope_key, entry)

    async def _run_first(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        next_app: ASGIApp,
        scope_key: tuple[str, str],
        entry: _Entry,
    ) -> None:
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.headers = [
                    (bytes(k), bytes(v))
                    for k, v in message.get("headers", ())
                    if bytes(k).lower() not in _NOT_REPLAYED
                ]
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await send(message)

        try:
            await next_app(scope, _replaying(body), capture)
        except BaseException:
            self._cache.forget(scope_key, entry)
            raise
        finally:
            entry.body = b"".join(chunks)
            if entry.status >= 500 or entry.status == 0:
                self._cache.forget(scope_key, entry)
            entry.done.set()

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                raise RequestEntityTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _replay(entry: _Entry, send: Send) -> None:
    headers = [*entry.headers, (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": entry.status, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})
