"""Every query of webhook endpoints, their deliveries and the attempts of each."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.repository import TenantRepository
from service.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint


class EndpointsRepository(TenantRepository[WebhookEndpoint]):
    """The tenant's endpoints; a removed one is gone (its delivery log stays)."""

    model = WebhookEndpoint
    resource = "webhook"

    def select(self) -> Select[WebhookEndpoint]:
        return super().select().where(WebhookEndpoint.deleted_at.is_(None))

    async def in_order(self, after: uuid.UUID | None, limit: int) -> tuple[list[WebhookEndpoint], bool]:
        """A page of endpoints in the order they were made."""
        return await self.page(self.select(), after, limit)

    async def all(self) -> list[WebhookEndpoint]:
        return list((await self.session.execute(self.select().order_by(WebhookEndpoint.id))).scalars())


class DeliveriesRepository(TenantRepository[WebhookDelivery]):
    model = WebhookDelivery
    resource = "webhook-delivery"

    async def of_endpoint(
        self, endpoint_id: uuid.UUID, before: uuid.UUID | None, limit: int, *, state: DeliveryState | None = None
    ) -> tuple[list[WebhookDelivery], bool]:
        """An endpoint's deliveries, newest first."""
        query = self.select().where(WebhookDelivery.endpoint_id == endpoint_id)
        if state is not None:
            query = query.where(WebhookDelivery.state == state)
        return await self.page(query, before, limit, newest_first=True)


# ---- the delivery actor's statements (its unit of work is in the message's tenant) ----------------------


async def delivery_by_id(session: AsyncSession, delivery_id: uuid.UUID) -> WebhookDelivery:
    return (await session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))).scalar_one()


async def endpoint_by_id(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The endpoint of a delivery, removed or not."""
    return (await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))).scalar_one()


async def record_attempt(
    session: AsyncSession,
    attempt: WebhookAttempt,
    *,
    state: DeliveryState,
    delivered_at: dt.datetime | None,
) -> None:
    """The attempt logged, and its outcome on the delivery."""
    session.add(attempt)
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == attempt.delivery_id)
        .values(
            state=state,
            attempts=WebhookDelivery.attempts + 1,
            last_status=attempt.status,
            last_duration_ms=attempt.duration_ms,
            last_error=attempt.error,
            last_attempt_at=attempt.attempted_at,
            delivered_at=delivered_at,
        )
    )


async def mark_dead(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state != DeliveryState.SUCCEEDED)
        .values(state=DeliveryState.DEAD)
    )
