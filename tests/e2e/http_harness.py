"""Runs the real ``billing serve`` in a subprocess on a free port and talks to it over HTTP."""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from billing.entrypoints.http.tokens import TokenStore

__all__ = ["BillingServer", "Tenant", "free_port", "new_org"]

TOKEN_PATTERN = re.compile(r"bil_[A-Za-z0-9_-]{43}")
UNMEASURED_UNDER_FILE_LIMIT = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START")
"""The variables that start coverage in a child (``[tool.coverage.run] patch = subprocess``)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def new_org() -> str:
    """A fresh organization id, so tests sharing a server never see each other's data."""
    return f"org-{uuid.uuid4().hex[:12]}"


@dataclass
class Tenant:
    """An organization (or the operator) with its token and a client bound to the server."""

    organization_id: str | None
    token: str
    client: httpx.Client

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header of this tenant."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class BillingServer:
    """``billing serve`` in a subprocess: start, stop, restart, and clients for tenants."""

    data_dir: Path
    fsync: str = "never"
    projections: str = "inline"
    file_size_limit: int | None = None
    """RLIMIT_FSIZE of the server process: writes beyond it fail like a full disk."""
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    _clients: list[httpx.Client] = field(default_factory=list)
    _starts: int = 0

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stdout_path(self) -> Path:
        """Where the current run's standard output goes."""
        return self.data_dir.parent / f"serve-{self.port}-{self._starts}.out"

    @property
    def stderr_path(self) -> Path:
        """Where the current run's standard error (the JSON logs) goes."""
        return self.data_dir.parent / f"serve-{self.port}-{self._starts}.err"

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until ``/health`` answers."""
        self._starts += 1
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
        if self.file_size_limit is not None:
            # coverage could not write its data file past the limit either: a truncated one
            # would spoil the combined report, so a server on a "full disk" goes unmeasured
            for name in UNMEASURED_UNDER_FILE_LIMIT:
                env.pop(name, None)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "billing",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    "--fsync",
                    self.fsync,
                    "--projections",
                    self.projections,
                ],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=self._limit_file_size if self.file_size_limit is not None else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"billing serve exited with {self.process.returncode}:\n{self.logs()}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"billing serve did not become healthy in {timeout} s:\n{self.logs()}")

    def _limit_file_size(self) -> None:
        assert self.file_size_limit is not None
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.file_size_limit, hard))

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop the server as Ctrl-C would (SIGINT), killing it if it does not stop in time."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def restart(self) -> None:
        """Stop, then start again on the same port and data directory."""
        self.stop()
        self.start()

    def stdout(self) -> str:
        """What the current run printed on standard output."""
        return self.stdout_path.read_text(errors="replace")

    def logs(self) -> str:
        """Standard output and error of the current run."""
        return self.stdout() + self.stderr_path.read_text(errors="replace")

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        """An HTTP client for the server, authenticated when a token is given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30.0, **kwargs)
        self._clients.append(client)
        return client

    def tenant(self, organization_id: str | None = None) -> Tenant:
        """A new token for an organization (a fresh one by default), or an operator token."""
        return self._tenant(organization_id or new_org())

    def operator(self) -> Tenant:
        """A new operator token."""
        return self._tenant(None)

    def _tenant(self, organization_id: str | None) -> Tenant:
        _, secret = TokenStore(self.data_dir).create(organization_id, label="e2e test")
        return Tenant(organization_id, secret, self.client(secret))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
