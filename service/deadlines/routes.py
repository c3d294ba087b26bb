"""/v1/tenants/{tenant_id}/deadlines: the tenant's timed obligations and their state."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy import tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.kit.access import requires
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, cursor_value, encode_cursor, problems
from service.kit.permissions import Permission
from service.kit.repository import TenantRepository


class DeadlineRead(msgspec.Struct):
    id: uuid.UUID
    kind: str
    subject_kind: str
    subject_id: str
    due_at: dt.datetime
    state: str
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    done_at: dt.datetime | None


class DeadlinesRepository(TenantRepository[Deadline]):
    model = Deadline


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
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[
            str | None, QueryParameter(name="state", pattern="^(pending|queued|done|cancelled|failed)$")
        ] = None,
    ) -> Page[DeadlineRead]:
        repo = DeadlinesRepository(db_session, current_tenant_id)
        query = repo.select()
        if state_filter is not None:
            query = query.where(Deadline.state == state_filter)
        if (after := cursor_value(cursor, lambda v: (dt.datetime.fromisoformat(v[0]), uuid.UUID(v[1])))) is not None:
            query = query.where(tuple_(Deadline.due_at, Deadline.id) > tuple_(*after))
        rows = list((await db_session.execute(query.order_by(Deadline.due_at, Deadline.id).limit(limit + 1))).scalars())
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            items=[msgspec.convert(r, DeadlineRead, from_attributes=True) for r in rows],
            next_cursor=encode_cursor([[rows[-1].due_at.isoformat(), str(rows[-1].id)]]) if more and rows else None,
        )
