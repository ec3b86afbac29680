"""Fixtures of the end-to-end tests: one real billing server shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.http_harness import BillingServer, Tenant


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingServer]:
    """``billing serve`` on a free port with a temporary data directory."""
    root: Path = tmp_path_factory.mktemp("billing-e2e")
    with BillingServer(root / "data") as running:
        yield running


@pytest.fixture
def org(server: BillingServer) -> Tenant:
    """A fresh organization with its token."""
    return server.tenant()


@pytest.fixture
def other_org(server: BillingServer) -> Tenant:
    """A second fresh organization, to check that nothing of ``org`` leaks to it."""
    return server.tenant()


@pytest.fixture
def operator(server: BillingServer) -> Tenant:
    """An operator token."""
    return server.operator()
