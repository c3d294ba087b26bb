"""Actors for the backbone tests: a deed that counts, one that fails, one that is slow."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.deadlines.service import handles
from service.kit.queue import once, runtime, task, work


@task(queue="tests", max_retries=3)
async def record_deed(key: str, tenant_id: str | None = None, sleep: float = 0.0) -> None:
    """Adds one row to `deed_log` per deed, whatever the redeliveries: the deed is done once."""
    if sleep:
        await asyncio.sleep(sleep)
    async with work(tenant_id, "record_deed") as session:
        if not await once(session, f"test:{key}", tenant_id, runtime().clock.now()):
            return
        tenant_name = await session.scalar(text("SELECT slug FROM tenants LIMIT 1")) if tenant_id else None
        await session.execute(
            text("INSERT INTO deeds (key, tenant_id, message_id, done_at) VALUES (:key, :tenant, :note, now())"),
            {"key": f"log:{key}:{os.getpid()}", "tenant": tenant_id, "note": tenant_name},
        )


@task(queue="tests", max_retries=2)
async def always_fail(tenant_id: str | None = None, reason: str = "boom") -> None:
    raise RuntimeError(reason)


# Deadline kinds for the tests: one that records a deed, one that fails until told otherwise.
FAILING = {"on": True}


@handles("test.record")
async def _record(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    await session.execute(
        text("INSERT INTO deeds (key, tenant_id, done_at) VALUES (:key, :tenant, :now)"),
        {"key": f"deadline-ran:{deadline.id}", "tenant": deadline.tenant_id, "now": now},
    )


@handles("test.fail")
async def _fail(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    if FAILING["on"]:
        raise RuntimeError("the handler failed")
    await _record(session, deadline, now)
