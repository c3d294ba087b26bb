"""/v1/tenants/{tenant_id}/events: what happened, newest first (for systems that poll)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.events.models import Event
from service.kit.access import requires
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission


class EventRead(msgspec.Struct):
    id: uuid.UUID
    type: str
    subject_kind: str
    subject_id: str | None
    data: dict[str, Any]
    occurred_at: dt.datetime


def event_read(row: Event) -> EventRead:
    return msgspec.convert(row, EventRead, from_attributes=True)


class EventController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/events"
    tags = ["Events and notifications"]

    @get(
        "/",
        operation_id="listEvents",
        summary="Events, newest first",
        guards=[requires(Permission.EVENTS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        type: Annotated[str | None, Parameter(description="Only events of this type.", max_length=100)] = None,
    ) -> Page[EventRead]:
        query = select(Event).where(Event.tenant_id == current_tenant_id)
        if type is not None:
            query = query.where(Event.type == type)
        if (before := after_id(cursor)) is not None:
            query = query.where(Event.id < before)
        rows = list((await db_session.execute(query.order_by(Event.id.desc()).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, event_read)
