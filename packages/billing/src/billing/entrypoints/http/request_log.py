"""Per-request bookkeeping: request id header, access log and request metrics.

``RequestStartMiddleware`` notes when a routed request starts; ``ObserveHook`` (a Litestar
``before_send`` hook, so it also sees answers the router gives itself, like 404 for an unknown
path) adds ``X-Request-ID`` to every response and, when the body is sent, logs and counts it.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from billing.entrypoints.http.context import request_id_of, started_at, tenant_of
from billing.entrypoints.http.logging import log_access
from billing.entrypoints.http.metrics import HttpMetrics

__all__ = ["ObserveHook", "RequestStartMiddleware"]

_STATUS = "billing.status"


class RequestStartMiddleware(ASGIMiddleware):
    """Records the start time and request id of every routed request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started_at(scope)
        request_id_of(scope)
        await next_app(scope, receive, send)


def _route(scope: Any) -> str:
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if paths:
        return str(sorted(paths)[0])
    return "unmatched"


class ObserveHook:
    """``before_send`` hook: request id header on the way out, access log and metrics at the end."""

    def __init__(self, metrics: HttpMetrics) -> None:
        self._metrics = metrics

    async def __call__(self, message: Message, scope: Scope) -> None:
        if scope["type"] != ScopeType.HTTP:
            return
        state = scope.setdefault("state", {})
        if message["type"] == "http.response.start":
            started_at(scope)
            rid = request_id_of(scope).encode()
            headers = list(message.get("headers", ()))
            if not any(bytes(k).lower() == b"x-request-id" for k, _ in headers):
                headers.append((b"x-request-id", rid))
                message["headers"] = headers
            state[_STATUS] = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            status = int(state.get(_STATUS, 0))
            seconds = time.perf_counter() - started_at(scope)
            method = str(scope.get("method", ""))
            self._metrics.observe_request(method, _route(scope), status, seconds)
            log_access(
                request_id=request_id_of(scope),
                tenant=tenant_of(scope),
                method=method,
                path=scope.get("path", ""),
                status=status,
                duration_ms=seconds * 1000,
            )
