"""Liveness and readiness probes, for load balancers and orchestrators."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import State

from service.health import service
from service.health.schemas import Health
from service.kit.http import problems


@get(
    "/healthz",
    operation_id="getHealth",
    summary="Liveness: the process answers",
    tags=["Operations"],
    exclude_from_auth=True,
    security=[],
    responses=problems(),
)
async def healthz() -> Health:
    return Health(status="ok")


@get(
    "/readyz",
    operation_id="getReadiness",
    summary="Readiness: the database answers and is migrated to this code's revision",
    tags=["Operations"],
    exclude_from_auth=True,
    security=[],
    responses=problems(503),
)
async def readyz(state: State) -> Health:
    revision = await service.ready_revision(state.db, state.head_revision)
    return Health(status="ready", database_revision=revision)
