"""Dispatching an event, once: the webhooks and mail domains subscribe to EVENT_DISPATCHED."""

from __future__ import annotations

import uuid

from service.events import service
from service.kit.queue import once, runtime, work
from service.kit.registry import Registry


async def dispatch_event(event_id: str, tenant_id: str | None = None) -> None:
    if tenant_id is None:
        raise ValueError("an event belongs to a tenant: its dispatch names it")
    now = runtime().clock.now()
    async with work(tenant_id, "dispatch_event") as session:
        if not await once(session, f"dispatch:{event_id}", tenant_id, now):
            return
        await service.dispatch(session, uuid.UUID(tenant_id), uuid.UUID(event_id), now)


def register(registry: Registry) -> None:
    registry.actor(dispatch_event, queue="events", max_retries=10)
    registry.require_actor("dispatch_event", by="events.emit")
