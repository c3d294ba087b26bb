"""Every query of events."""

from __future__ import annotations

import uuid

from service.events.models import Event
from service.kit.repository import TenantRepository


class EventsRepository(TenantRepository[Event]):
    model = Event
    resource = "event"

    async def newest_first(
        self, before: uuid.UUID | None, limit: int, *, type: str | None = None
    ) -> tuple[list[Event], bool]:
        query = self.select()
        if type is not None:
            query = query.where(Event.type == type)
        return await self.page(query, before, limit, newest_first=True)
