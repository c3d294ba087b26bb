"""Liveness and readiness probes, for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import get
from litestar.datastructures import State
from sqlalchemy import text

from service.kit.db import Database
from service.kit.errors import Msg, ProblemError
from service.kit.http import problems


class Health(msgspec.Struct):
    status: str
    database_revision: str | None = None


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
    db: Database = state.db
    expected: str | None = state.head_revision
    try:
        async with asyncio.timeout(3):
            async with db.engine.connect() as conn:
                revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
    except Exception as exc:  # any failure to reach or read the database means "not ready"
        raise _not_ready(f"database unreachable ({type(exc).__name__})") from exc
    if revision != expected:
        raise _not_ready(f"database at revision {revision}, code expects {expected}; run `koshiki migrate`")
    return Health(status="ready", database_revision=revision)


def _not_ready(reason: str) -> ProblemError:
    return ProblemError(
        "service-unavailable", Msg("detail.not-ready", {"reason": reason}), headers={"Retry-After": "5"}
    )
