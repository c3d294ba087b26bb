"""/v1/tenants/{tenant_id}/events: what happened, newest first (for systems that poll)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from service.events import service
from service.events.models import Event
from service.events.schemas import EventRead
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission


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
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        type: Annotated[str | None, Parameter(description="Only events of this type.", max_length=100)] = None,
    ) -> Page[EventRead]:
        rows, more = await service.list_events(ctx, after_id(cursor), limit, type=type)
        return id_page(rows, more, event_read)
