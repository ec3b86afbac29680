"""API tokens: stored hashed, created, listed, revoked, and seen by a running reader."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from billing.entrypoints.http.tokens import TOKEN_FILE, TokenStore
from eventram import NotFoundError, ValidationError


def test_a_created_token_authenticates_as_its_organization(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)

    record, secret = store.create("acme")
    principal = store.authenticate(secret)

    assert principal is not None
    assert principal.organization_id == "acme"
    assert principal.token_id == record.token_id
    assert not principal.operator


def test_an_operator_token_has_no_organization(tmp_path: Path) -> None:
    _, secret = TokenStore(tmp_path).create(None)

    principal = TokenStore(tmp_path).authenticate(secret)

    assert principal is not None
    assert principal.operator
    assert principal.tenant == "operator"


def test_only_the_sha256_of_a_token_is_stored(tmp_path: Path) -> None:
    _, secret = TokenStore(tmp_path).create("acme")

    stored = (tmp_path / TOKEN_FILE).read_text()

    assert secret not in stored
    assert hashlib.sha256(secret.encode()).hexdigest() in stored
    assert (tmp_path / TOKEN_FILE).stat().st_mode & 0o077 == 0


def test_unknown_tokens_do_not_authenticate(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.create("acme")

    assert store.authenticate("bil_not-a-token") is None
    assert store.authenticate("") is None


def test_a_revoked_token_is_refused_by_another_reader_of_the_file(tmp_path: Path) -> None:
    server = TokenStore(tmp_path, reload_interval=0.0)
    cli = TokenStore(tmp_path)
    record, secret = cli.create("acme")
    assert server.authenticate(secret) is not None

    cli.revoke(record.token_id)

    assert server.authenticate(secret) is None
    assert [r.token_id for r in cli.records()] == []


def test_a_token_created_by_another_process_works_at_once(tmp_path: Path) -> None:
    server = TokenStore(tmp_path, reload_interval=3600.0)
    assert server.is_empty()

    _, secret = TokenStore(tmp_path).create("acme")

    assert server.authenticate(secret) is not None


def test_revoking_an_unknown_token_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        TokenStore(tmp_path).revoke("tok_nope")


def test_organization_ids_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        TokenStore(tmp_path).create("bad org!")

    assert caught.value.field == "organization_id"


def test_the_file_is_replaced_whole_and_lists_every_token(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    store.create("a")
    store.create(None)
    store.create("b")

    content = json.loads((tmp_path / TOKEN_FILE).read_text())

    assert [t["organization_id"] for t in content["tokens"]] == ["a", None, "b"]
    assert len(store.records()) == 3
    assert not list(tmp_path.glob("*.tmp"))
