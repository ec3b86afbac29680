"""Operations: projections (operators only), health and Prometheus metrics (public)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_503_SERVICE_UNAVAILABLE

from billing.entrypoints.http.auth import OPERATOR, PUBLIC
from billing.entrypoints.http.gateway import Gateway
from billing.entrypoints.http.metrics import CONTENT_TYPE, HttpMetrics
from billing.entrypoints.http.openapi import QUERY_RESPONSES, problem_responses
from billing.entrypoints.http.schemas import HealthOut, ProjectionOut, RebuildAccepted

__all__ = ["OPS_ROUTES"]


def _gateway(request: Request[Any, Any, Any]) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _projection_out(status: Any) -> ProjectionOut:
    progress = status.rebuild.ratio if status.rebuild is not None else None
    return ProjectionOut(
        name=status.name,
        mode=str(status.mode),
        position=status.position,
        lag_events=status.lag_events,
        lag_seconds=float(status.lag_seconds),
        state=str(status.state),
        rebuild_progress=progress,
        error=status.error or status.rebuild_error,
    )


@get(
    "/projections",
    opt={OPERATOR: True},
    summary="Projections (operators)",
    responses=problem_responses(QUERY_RESPONSES, 403),
)
async def list_projections(request: Request[Any, Any, Any]) -> list[ProjectionOut]:
    """Every projection: mode, position, lag in events and seconds, state, rebuild progress."""
    return [_projection_out(s) for s in _gateway(request).projection_statuses()]


@post(
    "/projections/{name:str}/rebuild",
    opt={OPERATOR: True},
    status_code=HTTP_202_ACCEPTED,
    summary="Rebuild a projection (operators)",
    responses=problem_responses(QUERY_RESPONSES, 403, 404, 413),
)
async def rebuild_projection(
    request: Request[Any, Any, Any], name: Annotated[str, Parameter(max_length=200)]
) -> RebuildAccepted:
    """Start rebuilding a projection while the live one keeps serving; follow it in GET."""
    _gateway(request).rebuild(name)
    return RebuildAccepted(name=name, state="rebuilding")


@get(
    "/health",
    opt={PUBLIC: True},
    summary="Liveness and readiness",
    security=[{}],
    responses={
        503: ResponseSpec(
            data_container=HealthOut, description="Not ready", generate_examples=False
        )
    },
)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    """200 when the journal accepts writes and every projection runs, else 503 with reasons."""
    gateway = _gateway(request)
    writable, running, detail = gateway.health()
    ok = writable and running
    body = HealthOut(
        status="ok" if ok else "unavailable",
        journal_writable=writable,
        projections_running=running,
        position=gateway.last_position(),
        detail=detail,
    )
    return Response(body, status_code=200 if ok else HTTP_503_SERVICE_UNAVAILABLE)


@get(
    "/metrics",
    opt={PUBLIC: True},
    summary="Prometheus metrics",
    security=[{}],
    media_type=CONTENT_TYPE,
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Request counts and latencies, commands, events, cache, projection lag, journal fsync."""
    registry: HttpMetrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE)


OPS_ROUTES = [list_projections, rebuild_projection, health, metrics]
