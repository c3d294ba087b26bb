"""Delivering one webhook: at least once, with retries and backoff, every attempt logged."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import EVENT_DISPATCHED
from service.kit.crypto import Sealer
from service.kit.queue import runtime, work
from service.kit.registry import Registry
from service.webhooks import service


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx, or could not be reached (its host did not resolve, or resolved
    to an address deliveries may not go to); the queue retries with backoff."""


async def deliver_webhook(delivery_id: str, tenant_id: str | None = None) -> None:
    rt = runtime()
    now = rt.clock.now()
    sealer = Sealer(rt.settings.require_secret_key())
    async with work(tenant_id, "deliver_webhook") as session:
        found = await service.to_deliver(session, uuid.UUID(delivery_id), sealer, now)
        if found is None:
            return
        delivery, url, in_use = found
    # The request happens outside any transaction.
    outcome = await service.post(url, delivery, in_use, allow_private=rt.settings.webhook_allow_private, now=now)
    async with work(tenant_id, "deliver_webhook") as session:
        await service.record_outcome(session, delivery, outcome, now)
    if not outcome.ok:
        raise DeliveryFailed(outcome.error or "no response")


async def _delivery_dead(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    await service.give_up(session, uuid.UUID(str(kwargs["delivery_id"])))


def register(registry: Registry) -> None:
    registry.subscribe(EVENT_DISPATCHED, service.queue_deliveries)
    registry.actor(deliver_webhook, queue="webhooks", max_retries=8, on_dead=_delivery_dead)
    registry.require_actor("deliver_webhook", by="webhooks.queue_deliveries")
