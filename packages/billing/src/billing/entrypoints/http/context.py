"""Per-request facts kept in the ASGI scope: request id, start time, authenticated caller."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any, Final

__all__ = ["REQUEST_ID_HEADER", "request_id_of", "started_at", "tenant_of"]

REQUEST_ID_HEADER: Final = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_ID: Final = "billing.request_id"
_STARTED: Final = "billing.started"
TENANT: Final = "billing.tenant"


def _state(scope: Any) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def request_id_of(scope: Any) -> str:
    """The request's id: the client's ``X-Request-ID`` when it is sane, else a new one."""
    state = _state(scope)
    rid = state.get(_ID)
    if rid is None:
        rid = uuid.uuid4().hex
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_ID.fullmatch(candidate):
                    rid = candidate
                break
        state[_ID] = rid
    return str(rid)


def started_at(scope: Any) -> float:
    """When the request was first seen (``perf_counter``), recording now if not yet."""
    state = _state(scope)
    started = state.get(_STARTED)
    if started is None:
        started = state[_STARTED] = time.perf_counter()
    return float(started)


def tenant_of(scope: Any) -> str | None:
    """The caller's organization, ``"operator"`` for operators, None before authentication."""
    tenant = _state(scope).get(TENANT)
    return None if tenant is None else str(tenant)


def set_tenant(scope: Any, tenant: str) -> None:
    """Record who the caller is, for logs and metrics."""
    _state(scope)[TENANT] = tenant
