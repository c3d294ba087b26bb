"""Events: what happened, emitted in the transaction that made it happen.

`emit()` stores the event and queues its dispatch in the same transaction, so an event exists,
and is delivered, exactly when its cause committed. Dispatch fans it out to the tenant's webhook
endpoints and to the people it concerns (by mail, in their language): those domains subscribe to
EVENT_DISPATCHED.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import EVENT_DISPATCHED, Dispatch
from service.events.models import Event
from service.events.repository import EventsRepository
from service.kit import registry
from service.kit.context import Ctx
from service.kit.ids import uuid7
from service.kit.queue import enqueue


async def emit(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    type: str,
    subject_kind: str,
    subject_id: str | None,
    data: dict[str, Any],
    now: dt.datetime,
) -> Event:
    if type not in registry.current().event_types:
        raise ValueError(f"event type {type!r} is not declared by any domain of this process")
    event = EventsRepository(session, tenant_id).add(
        Event(
            id=uuid7(),
            tenant_id=tenant_id,
            type=type,
            subject_kind=subject_kind,
            subject_id=subject_id,
            data=data,
            occurred_at=now,
        )
    )
    await session.flush()
    await enqueue(session, "dispatch_event", tenant_id=tenant_id, now=now, event_id=str(event.id))
    return event


async def list_events(
    ctx: Ctx, before: uuid.UUID | None, limit: int, *, type: str | None = None
) -> tuple[list[Event], bool]:
    """The tenant's events, newest first (of one type, if given)."""
    return await EventsRepository(ctx.session, ctx.tenant_id).newest_first(before, limit, type=type)


async def dispatch(session: AsyncSession, tenant_id: uuid.UUID, event_id: uuid.UUID, now: dt.datetime) -> None:
    """Send an event out: whoever subscribed to EVENT_DISPATCHED queues its deliveries and mail."""
    event = await EventsRepository(session, tenant_id).get_or_404(event_id)
    await EVENT_DISPATCHED.publish(Dispatch(session, event, now))
