"""Schemathesis against the live server's OpenAPI: no 5xx, no response that breaks the schema.

Every operation of ``/schema/openapi.json`` gets ``SCHEMA_EXAMPLES`` generated requests (10 by
default, to keep ``make test`` fast; raise it for a deeper run), valid ones and, for a second
pass, invalid ones, sent with an organization's token. Each response must not be a 5xx, must
have a documented status and content type, and must match its documented schema.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.http_client import create_payment
from tests.e2e.http_harness import BillingServer

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_no_operation_answers_5xx_or_breaks_its_schema(
    server: BillingServer, mode: schemathesis.GenerationMode
) -> None:
    tenant = server.tenant()
    create_payment(tenant, payment_id=f"pay-schema-{mode.value}", description="Schema check")
    schema = schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"invalid schema: {result.err()}")
            continue
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(base_url=server.url, headers=tenant.headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            continue  # an operation without inputs has no invalid request to send
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
