"""/v1/dead-letters: messages that exhausted their retries (platform operators), and their retry."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadletters import service
from service.deadletters.schemas import DeadLetterRead
from service.kit.access import platform_only
from service.kit.clock import Clock
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems


class DeadLetterController(Controller):
    """Guarded route by route, as every controller is: a guard on the controller would also guard the
    OPTIONS answer Litestar adds to each path, which authentication lets through without a caller."""

    path = "/v1/dead-letters"
    tags = ["Operations"]

    @get(
        "/",
        operation_id="listDeadLetters",
        summary="Messages that exhausted their retries, newest first",
        guards=[platform_only],
        responses=problems(401, 403, 422),
    )
    async def list_(
        self, platform_session: NamedDependency[AsyncSession], limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[DeadLetterRead]:
        rows, more = await service.list_dead_letters(platform_session, after_id(cursor), limit)
        items = [msgspec.convert(r, DeadLetterRead) for r in rows]
        return Page(items=items, next_cursor=encode_cursor([str(items[-1].id)]) if more and items else None)

    @post(
        "/{dead_letter_id:uuid}/retry",
        operation_id="retryDeadLetter",
        summary="Queue a dead message again (its actor decides, as always, whether there is still work)",
        guards=[platform_only],
        status_code=202,
        responses=problems(401, 403, 404, 409),
    )
    async def retry(
        self,
        dead_letter_id: FromPath[uuid.UUID],
        platform_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> DeadLetterRead:
        return msgspec.convert(await service.retry(platform_session, clock, dead_letter_id), DeadLetterRead)
