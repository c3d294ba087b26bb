"""Readiness: the database accepts a new session and answers a query, takes writes, and is migrated
to the revision this code expects. Anything else is a 503 saying why."""

from __future__ import annotations

import asyncio

from service.health.repository import database_state
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError

TIMEOUT = 3.0  # seconds: a probe must answer quickly, ready or not


async def ready_revision(db: Database, expected: str | None) -> str | None:
    """The database's revision when it is ready; the 503 problem saying why when it is not."""
    try:
        async with asyncio.timeout(TIMEOUT):
            revision, recovering = await database_state(db)
    except Exception as exc:  # any failure to reach or read the database means "not ready"
        raise not_ready(f"database unreachable ({type(exc).__name__})") from exc
    if recovering:
        raise not_ready("database in recovery: it takes no writes")
    if revision != expected:
        raise not_ready(f"database at revision {revision}, code expects {expected}; run `koshiki migrate`")
    return revision


def not_ready(reason: str) -> ProblemError:
    return ProblemError(
        "service-unavailable", Msg("detail.not-ready", {"reason": reason}), headers={"Retry-After": "5"}
    )
