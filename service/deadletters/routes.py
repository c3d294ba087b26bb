"""/v1/dead-letters: messages that exhausted their retries (platform operators), and their retry."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.kit.access import platform_only
from service.kit.clock import Clock
from service.kit.db import set_tenant
from service.kit.errors import conflict, not_found
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems
from service.kit.queue import enqueue
from service.kit.registry import current


class DeadLetterRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    message_id: str
    queue: str
    actor: str
    kwargs: dict[str, Any]
    error: str
    failed_at: dt.datetime
    retried_at: dt.datetime | None


class DeadLetterController(Controller):
    path = "/v1/dead-letters"
    tags = ["Operations"]
    guards = [platform_only]

    @get(
        "/",
        operation_id="listDeadLetters",
        summary="Messages that exhausted their retries, newest first",
        responses=problems(401, 403, 422),
    )
    async def list_(
        self, platform_session: NamedDependency[AsyncSession], limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[DeadLetterRead]:
        before = after_id(cursor)
        rows = (
            await platform_session.execute(
                text(
                    "SELECT id, tenant_id, message_id, queue, actor, kwargs, error, failed_at, retried_at FROM dead_letters "
                    "WHERE (CAST(:before AS uuid) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit"
                ),
                {"before": before, "limit": limit + 1},
            )
        ).all()
        items = [msgspec.convert(dict(r._mapping), DeadLetterRead) for r in rows[:limit]]
        return Page(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if len(rows) > limit else None)

    @post(
        "/{dead_letter_id:uuid}/retry",
        operation_id="retryDeadLetter",
        summary="Queue a dead message again (its actor decides, as always, whether there is still work)",
        status_code=202,
        responses=problems(401, 403, 404, 409),
    )
    async def retry(
        self,
        dead_letter_id: FromPath[uuid.UUID],
        platform_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> DeadLetterRead:
        row = (
            await platform_session.execute(
                text(
                    "SELECT id, tenant_id, message_id, queue, actor, kwargs, error, failed_at, retried_at FROM dead_letters "
                    "WHERE id = :id FOR UPDATE"
                ),
                {"id": dead_letter_id},
            )
        ).one_or_none()
        if row is None:
            raise not_found("dead-letter")
        if row.retried_at is not None:
            raise conflict("conflict.dead-letter-retried")
        kwargs = {k: v for k, v in dict(row.kwargs).items() if k != "tenant_id"}
        if row.tenant_id is not None:
            await set_tenant(platform_session, row.tenant_id)
        spec = current().actors.get(row.actor)
        if spec is not None and (revive := spec.on_retry) is not None:
            await revive(platform_session, dict(row.kwargs))
        await enqueue(platform_session, row.actor, tenant_id=row.tenant_id, now=clock.now(), **kwargs)
        await platform_session.execute(
            text("UPDATE dead_letters SET retried_at = :now WHERE id = :id"), {"now": clock.now(), "id": dead_letter_id}
        )
        record(
            platform_session,
            "dead_letter.retried",
            target_kind="dead_letter",
            target_id=dead_letter_id,
            tenant_id=None,
            changes={"actor": row.actor, "message_id": row.message_id},
        )
        result = dict(row._mapping)
        result["retried_at"] = clock.now()
        return msgspec.convert(result, DeadLetterRead)
