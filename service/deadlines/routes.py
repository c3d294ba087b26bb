"""/v1/tenants/{tenant_id}/deadlines: the tenant's timed obligations and their state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from service.deadlines import service
from service.deadlines.models import DeadlineState
from service.deadlines.schemas import DeadlineRead
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, cursor_value, encode_cursor, problems
from service.kit.permissions import Permission


class DeadlineController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/deadlines"
    tags = ["Events and notifications"]

    @get(
        "/",
        operation_id="listDeadlines",
        summary="Deadlines by due time",
        guards=[requires(Permission.DEADLINES_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[DeadlineState | None, QueryParameter(name="state")] = None,
    ) -> Page[DeadlineRead]:
        after = cursor_value(cursor, lambda v: (dt.datetime.fromisoformat(v[0]), uuid.UUID(v[1])))
        rows, more = await service.list_deadlines(ctx, after, limit, state=state_filter)
        return Page(
            items=[msgspec.convert(r, DeadlineRead, from_attributes=True) for r in rows],
            next_cursor=encode_cursor([[rows[-1].due_at.isoformat(), str(rows[-1].id)]]) if more and rows else None,
        )
