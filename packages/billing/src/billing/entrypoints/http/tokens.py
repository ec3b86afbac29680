"""API tokens: each belongs to one organization or is an operator token; stored hashed.

The file (``tokens.json`` in the data directory) holds only SHA-256 digests of the tokens: a
token is 32 random bytes, so a plain digest is enough to make a stolen file useless. Writes go
to a temporary file that is fsynced and renamed over the old one, so a crash leaves either the
old or the new file, never half of one. A running server notices changes made by
``billing tokens ...`` (revocations included) within ``reload_interval`` seconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

from eventram import NotFoundError, ValidationError

__all__ = ["TOKEN_FILE", "Principal", "TokenRecord", "TokenStore"]

TOKEN_FILE: Final = "tokens.json"
_PREFIX: Final = "bil_"
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: an organization's token, or an operator token (``organization_id`` None)."""

    token_id: str
    organization_id: str | None

    @property
    def operator(self) -> bool:
        """Whether this is an operator token (sees every organization, runs operations)."""
        return self.organization_id is None

    @property
    def tenant(self) -> str:
        """The tenant name used in logs, metrics and idempotency scopes."""
        return self.organization_id if self.organization_id is not None else "operator"


class TokenRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A stored token: its public id, the digest of its secret, and whom it belongs to."""

    token_id: str
    digest: str
    organization_id: str | None
    created_at: datetime
    label: str = ""

    @property
    def operator(self) -> bool:
        """Whether the token is an operator token."""
        return self.organization_id is None


class _TokenFile(msgspec.Struct):
    tokens: list[TokenRecord] = msgspec.field(default_factory=list)


def digest_of(secret: str) -> str:
    """The hex SHA-256 of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """Tokens in ``<data_dir>/tokens.json``: create, list, revoke, authenticate."""

    def __init__(self, data_dir: Path | str, *, reload_interval: float = 1.0) -> None:
        self._dir = Path(data_dir)
        self._path = self._dir / TOKEN_FILE
        self._reload_interval = reload_interval
        self._lock = threading.Lock()
        self._records: dict[str, TokenRecord] = {}
        self._by_digest: dict[str, TokenRecord] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._load()

    @property
    def path(self) -> Path:
        """Where the tokens are stored."""
        return self._path

    def create(self, organization_id: str | None, *, label: str = "") -> tuple[TokenRecord, str]:
        """Create a token for an organization (None: an operator token); return it and its secret.

        The secret is returned once and never stored.
        """
        if organization_id is not None and not _ORG_ID.fullmatch(organization_id):
            raise ValidationError(
                f"Organization id {organization_id!r} must be 1-64 letters, digits, '.', '_' or "
                "'-', starting with a letter or digit.",
                field="organization_id",
            )
        secret = _PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            token_id="tok_" + secrets.token_hex(6),
            digest=digest_of(secret),
            organization_id=organization_id,
            created_at=datetime.now(UTC).replace(microsecond=0),
            label=label,
        )
        with self._locked_file():
            self._load()
            self._save([*self._records.values(), record])
        return record, secret

    def records(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        self._maybe_reload(force=True)
        return sorted(self._records.values(), key=lambda r: (r.created_at, r.token_id))

    def revoke(self, token_id: str) -> TokenRecord:
        """Delete a token by its id; raise ``NotFoundError`` when there is none."""
        with self._locked_file():
            self._load()
            record = self._records.get(token_id)
            if record is None:
                raise NotFoundError("Token", token_id)
            self._save([r for r in self._records.values() if r.token_id != token_id])
        return record

    def authenticate(self, secret: str) -> Principal | None:
        """The caller a token stands for, or None when it is unknown or revoked."""
        self._maybe_reload()
        digest = digest_of(secret)
        record = self._by_digest.get(digest)
        if record is None:
            # A token created a moment ago by `billing tokens create` works at once.
            self._maybe_reload(force=True)
            record = self._by_digest.get(digest)
        if record is None:
            return None
        return Principal(record.token_id, record.organization_id)

    def is_empty(self) -> bool:
        """Whether no token exists yet."""
        self._maybe_reload(force=True)
        return not self._records

    # -- file handling ---------------------------------------------------------------------

    def _maybe_reload(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self._reload_interval:
            return
        self._checked = now
        if self._file_stamp() != self._stamp:
            self._load()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load(self) -> None:
        with self._lock:
            stamp = self._file_stamp()
            if stamp is None:
                records: list[TokenRecord] = []
            else:
                records = msgspec.json.decode(self._path.read_bytes(), type=_TokenFile).tokens
            self._set(records, stamp)

    def _set(self, records: list[TokenRecord], stamp: tuple[int, int] | None) -> None:
        self._records = {r.token_id: r for r in records}
        self._by_digest = {r.digest: r for r in records}
        self._stamp = stamp

    def _save(self, records: list[TokenRecord]) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        payload = msgspec.json.format(msgspec.json.encode(_TokenFile(records)), indent=2)
        tmp = self._path.with_name(f".{TOKEN_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._path)
        dir_fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        with self._lock:
            self._set(records, self._file_stamp())

    @contextlib.contextmanager
    def _locked_file(self) -> Iterator[None]:
        """Serialise writers across processes (the server and the CLI) with a lock file."""
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._dir / f".{TOKEN_FILE}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
