"""Delivering one webhook: at least once, with retries and backoff, every attempt logged."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import EVENT_DISPATCHED
from service.kit.crypto import Sealer
from service.kit.ids import uuid7
from service.kit.queue import runtime, work
from service.kit.registry import Registry
from service.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.service import post, queue_deliveries, unseal


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the queue retries with backoff."""


async def deliver_webhook(delivery_id: str, tenant_id: str | None = None) -> None:
    rt = runtime()
    now = rt.clock.now()
    sealer = Sealer(rt.settings.require_secret_key())
    async with work(tenant_id, "deliver_webhook") as session:
        delivery = (
            await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == uuid.UUID(delivery_id)))
        ).scalar_one()
        endpoint = (
            await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id))
        ).scalar_one()
        if delivery.state in {"succeeded", "dead"} or not endpoint.active or endpoint.deleted_at is not None:
            return
        in_use = [unseal(sealer, endpoint.id, endpoint.secret_encrypted)]
        if endpoint.previous_secret_encrypted and (endpoint.previous_secret_expires_at or now) > now:
            in_use.append(unseal(sealer, endpoint.id, endpoint.previous_secret_encrypted))
        url = endpoint.url
    # The request happens outside any transaction.
    outcome = await post(url, delivery, in_use, allow_private=rt.settings.webhook_allow_private, now=now)
    async with work(tenant_id, "deliver_webhook") as session:
        session.add(
            WebhookAttempt(
                id=uuid7(),
                tenant_id=delivery.tenant_id,
                delivery_id=delivery.id,
                attempted_at=now,
                status=outcome.status,
                duration_ms=outcome.duration_ms,
                error=outcome.error,
            )
        )
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery.id)
            .values(
                state="succeeded" if outcome.ok else "failed",
                attempts=WebhookDelivery.attempts + 1,
                last_status=outcome.status,
                last_duration_ms=outcome.duration_ms,
                last_error=outcome.error,
                last_attempt_at=now,
                delivered_at=now if outcome.ok else None,
            )
        )
    if not outcome.ok:
        raise DeliveryFailed(outcome.error or "no response")


async def _delivery_dead(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == uuid.UUID(str(kwargs["delivery_id"])), WebhookDelivery.state != "succeeded")
        .values(state="dead")
    )


def register(registry: Registry) -> None:
    registry.subscribe(EVENT_DISPATCHED, queue_deliveries)
    registry.actor(deliver_webhook, queue="webhooks", max_retries=8, on_dead=_delivery_dead)
    registry.require_actor("deliver_webhook", by="webhooks.queue_deliveries")
