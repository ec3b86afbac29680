"""Shared test helpers: real services are required under CI and skipped (with a hint) elsewhere."""

from __future__ import annotations

import os
import socket

import pytest


def require_service(name: str, host: str, port: int, how_to_start: str) -> None:
    """Fail under CI, skip elsewhere, when a service is not listening at host:port."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return
    except OSError as exc:
        message = f"{name} is not reachable at {host}:{port} ({exc}); start it with: {how_to_start}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)


REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)
