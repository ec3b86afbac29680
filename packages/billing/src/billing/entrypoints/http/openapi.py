"""OpenAPI pieces shared by the routes: documented error responses and common parameters."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Annotated, Final

from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import Parameter

from billing.entrypoints.http.errors import PROBLEM_JSON, Problem

__all__ = [
    "COMMAND_RESPONSES",
    "MAX_PAGE",
    "MAX_POSITION",
    "MIN_POSITION",
    "QUERY_RESPONSES",
    "openapi_config",
    "problem_responses",
]

MAX_PAGE: Final = 1_000_000
MAX_POSITION: Final = 2**63 - 1

MIN_POSITION = Annotated[
    int | None,
    Parameter(
        ge=0,
        le=MAX_POSITION,
        required=False,
        description="Wait (bounded, 5 s by default) until the read models reached this global "
        "position, e.g. the `position` a command returned.",
    ),
]

# Statuses every private endpoint may answer with.
_COMMON: Final = (400, 401, 422, 503)
QUERY_RESPONSES: Final = _COMMON
COMMAND_RESPONSES: Final = (*_COMMON, 413)


def problem_responses(base: Iterable[int], *extra: int) -> dict[int, ResponseSpec]:
    """Document these statuses as problem documents."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=HTTPStatus(status).phrase,
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in sorted({*base, *extra})
    }


def openapi_config(version: str) -> OpenAPIConfig:
    """The OpenAPI document at ``/schema/openapi.json``, with Swagger UI at ``/schema/swagger``."""
    return OpenAPIConfig(
        title="Gyroscops billing",
        version=version,
        description="Payments API: commands as POSTs (safe to retry with `Idempotency-Key`), "
        "queries as GETs scoped to the caller's organization. Errors are RFC 9457 problem "
        "documents.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="opaque")
            }
        ),
        security=[{"bearer": []}],
    )


IDEMPOTENCY_KEY = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        required=False,
        description="Retry-safe key of 1 to 255 visible ASCII characters: the same key and "
        "body get the first response again.",
    ),
]
