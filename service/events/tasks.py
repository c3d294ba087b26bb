"""Dispatching an event: to each subscribed webhook endpoint, and by mail to the people it concerns."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from service.events.models import Event
from service.kit.queue import once, runtime, work
from service.kit.registry import Registry
from service.notifications.service import queue_mail_for
from service.webhooks.service import queue_deliveries


async def dispatch_event(event_id: str, tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    async with work(tenant_id, "dispatch_event") as session:
        if not await once(session, f"dispatch:{event_id}", tenant_id, now):
            return
        event = (await session.execute(select(Event).where(Event.id == uuid.UUID(event_id)))).scalar_one()
        await queue_deliveries(session, event, now)
        await queue_mail_for(session, event, now)


def register(registry: Registry) -> None:
    registry.actor(dispatch_event, queue="events", max_retries=10)
    registry.require_actor("dispatch_event", by="events.emit")
