"""Dispatching an event, once: the webhooks and mail domains subscribe to EVENT_DISPATCHED."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from service.events.hooks import EVENT_DISPATCHED, Dispatch
from service.events.models import Event
from service.kit.queue import once, runtime, work
from service.kit.registry import Registry


async def dispatch_event(event_id: str, tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    async with work(tenant_id, "dispatch_event") as session:
        if not await once(session, f"dispatch:{event_id}", tenant_id, now):
            return
        event = (await session.execute(select(Event).where(Event.id == uuid.UUID(event_id)))).scalar_one()
        await EVENT_DISPATCHED.publish(Dispatch(session, event, now))


def register(registry: Registry) -> None:
    registry.actor(dispatch_event, queue="events", max_retries=10)
    registry.require_actor("dispatch_event", by="events.emit")
