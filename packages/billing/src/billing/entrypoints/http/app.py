"""The Litestar app factory: routes, auth, errors, OpenAPI, metrics and logs.

Middleware, outermost first: request start (id, clock) -> authentication -> route. Safe
retries (``Idempotency-Key``) are the command bus's, not a layer of HTTP's. Errors become
problem documents in one handler; a ``before_send`` hook stamps
``X-Request-ID`` on every response and writes the access log and request metrics.
"""

from __future__ import annotations

from typing import Final

from litestar import Litestar
from litestar.datastructures import State

from billing.entrypoints.http.auth import AuthMiddleware
from billing.entrypoints.http.errors import exception_handlers
from billing.entrypoints.http.gateway import AppServices, Gateway
from billing.entrypoints.http.metrics import HttpMetrics, ServicesCollector
from billing.entrypoints.http.openapi import openapi_config
from billing.entrypoints.http.request_log import ObserveHook, RequestStartMiddleware
from billing.entrypoints.http.routes_events import EVENT_ROUTES
from billing.entrypoints.http.routes_ops import OPS_ROUTES
from billing.entrypoints.http.routes_payments import PAYMENT_ROUTES
from billing.entrypoints.http.tokens import TokenStore

__all__ = ["DEFAULT_MAX_BODY", "create_app"]

DEFAULT_MAX_BODY: Final = 64 * 1024
API_VERSION: Final = "1.0.0"


def create_app(
    app_services: AppServices,
    *,
    tokens: TokenStore,
    max_body_size: int = DEFAULT_MAX_BODY,
) -> Litestar:
    """Build the HTTP API over the application that ``billing.bootstrap.build`` returns.

    ``tokens`` authenticates callers; bodies above ``max_body_size`` bytes are refused (413).
    """
    metrics = HttpMetrics()
    gateway = Gateway(app_services, metrics=metrics)
    metrics.registry.register(ServicesCollector(gateway.snapshot))
    return Litestar(
        route_handlers=[*PAYMENT_ROUTES, *EVENT_ROUTES, *OPS_ROUTES],
        middleware=[
            RequestStartMiddleware(),
            AuthMiddleware(tokens),
        ],
        exception_handlers=exception_handlers(),
        before_send=[ObserveHook(metrics)],
        openapi_config=openapi_config(API_VERSION),
        request_max_body_size=max_body_size,
        state=State({"gateway": gateway, "metrics": metrics, "tokens": tokens}),
        logging_config=None,
        debug=False,
    )
