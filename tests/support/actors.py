"""Actors for the backbone tests: a deed that counts, one that fails, one that is slow."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.kit.queue import once, runtime, work
from service.kit.registry import Registry


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


async def always_fail(tenant_id: str | None = None, reason: str = "boom") -> None:
    raise RuntimeError(reason)


# Deadline kinds for the tests: one that records a deed, one that fails until told otherwise.
FAILING = {"on": True}


async def _record(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    await session.execute(
        text("INSERT INTO deeds (key, tenant_id, done_at) VALUES (:key, :tenant, :now)"),
        {"key": f"deadline-ran:{deadline.id}", "tenant": deadline.tenant_id, "now": now},
    )


async def _fail(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    if FAILING["on"]:
        raise RuntimeError("the handler failed")
    await _record(session, deadline, now)


class TestDeadline(StrEnum):
    RECORD = "test.record"
    FAIL = "test.fail"


def register(registry: Registry) -> None:
    """Bootstrapped with the service's own domains when KOSHIKI_EXTRA_MODULES names this module."""
    registry.actor(record_deed, queue="tests", max_retries=3)
    registry.actor(always_fail, queue="tests", max_retries=2)
    registry.deadline_kinds(TestDeadline, {TestDeadline.RECORD: _record, TestDeadline.FAIL: _fail})
