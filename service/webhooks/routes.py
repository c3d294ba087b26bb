"""/v1/tenants/{tenant_id}/webhooks: endpoints, secrets, deliveries and replays."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.kit.access import requires
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.crypto import Sealer
from service.kit.errors import not_found
from service.kit.http import (
    DEFAULT_LIMIT,
    ETAG_HEADER,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Page,
    after_id,
    etag,
    id_page,
    problems,
    require_if_match,
)
from service.kit.idempotency import idempotent
from service.kit.ids import uuid7
from service.kit.permissions import Permission
from service.kit.repository import TenantRepository
from service.webhooks import service
from service.webhooks.models import WebhookDelivery, WebhookEndpoint
from service.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead, WebhookUpdate, WebhookWithSecret


class EndpointsRepository(TenantRepository[WebhookEndpoint]):
    model = WebhookEndpoint

    def select(self) -> Select[WebhookEndpoint]:
        return super().select().where(WebhookEndpoint.deleted_at.is_(None))


def webhook_read(row: WebhookEndpoint) -> WebhookRead:
    return msgspec.convert(row, WebhookRead, from_attributes=True)


def delivery_read(row: WebhookDelivery) -> DeliveryRead:
    return msgspec.convert(row, DeliveryRead, from_attributes=True)


async def _endpoint(session: AsyncSession, tenant_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookEndpoint:
    row = await EndpointsRepository(session, tenant_id).get(webhook_id, for_update=True)
    if row is None:
        raise not_found("webhook")
    return row


def _production(state: State) -> bool:
    return bool(state.settings.environment == "production")


class WebhookController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/webhooks"
    tags = ["Webhooks"]

    @post(
        "/",
        operation_id="createWebhook",
        summary="Register an endpoint; its signing secret is shown once",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[WebhookCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[WebhookWithSecret]:
        """Deliveries are POSTed as JSON and signed: `Koshiki-Signature: t=<unix>,v1=<hex HMAC-SHA256
        of "<t>.<body>" with the secret>`. In production the URL must be https and must not resolve
        to a private address."""
        service.check_event_types(list(data.event_types))
        service.check_url(data.url, production=_production(state))

        async def run() -> Response[WebhookWithSecret]:
            now = clock.now()
            endpoint_id = uuid7()
            secret = service.new_secret()
            endpoint = WebhookEndpoint(
                id=endpoint_id,
                tenant_id=current_tenant_id,
                url=data.url,
                event_types=sorted(set(data.event_types)),
                description=data.description,
                active=True,
                secret_encrypted=service.seal(Sealer(state.settings.require_secret_key()), endpoint_id, secret),
                created_by=principal.label,
                created_at=now,
                updated_at=now,
            )
            db_session.add(endpoint)
            await db_session.flush()
            body = WebhookWithSecret(webhook=webhook_read(endpoint), secret=secret)
            return Response(
                body, status_code=201, headers={"ETag": etag(endpoint.version), "Cache-Control": "no-store"}
            )

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/",
        operation_id="listWebhooks",
        summary="List endpoints",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[WebhookRead]:
        repo = EndpointsRepository(db_session, current_tenant_id)
        rows, more = await repo.page(repo.select(), after_id(cursor), limit)
        return id_page(rows, more, webhook_read)

    @get(
        "/{webhook_id:uuid}",
        operation_id="getWebhook",
        summary="Read an endpoint (never its secret)",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        webhook_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[WebhookRead]:
        row = await _endpoint(db_session, current_tenant_id, webhook_id)
        return Response(webhook_read(row), headers={"ETag": etag(row.version)})

    @patch(
        "/{webhook_id:uuid}",
        operation_id="updateWebhook",
        summary="Change an endpoint's URL, event types or whether it is active",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        responses=problems(401, 403, 404, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        state: State,
        current_tenant_id: NamedDependency[uuid.UUID],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookUpdate],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        if_match: IfMatch = None,
    ) -> Response[WebhookRead]:
        row = await _endpoint(db_session, current_tenant_id, webhook_id)
        require_if_match(request, row.version)
        if data.event_types is not msgspec.UNSET:
            service.check_event_types(list(data.event_types))
            row.event_types = sorted(set(data.event_types))
        if data.url is not msgspec.UNSET:
            service.check_url(data.url, production=_production(state))
            row.url = data.url
        if data.description is not msgspec.UNSET:
            row.description = data.description
        if data.active is not msgspec.UNSET:
            row.active = data.active
        row.updated_at = clock.now()
        await db_session.flush()
        return Response(webhook_read(row), headers={"ETag": etag(row.version)})

    @delete(
        "/{webhook_id:uuid}",
        operation_id="deleteWebhook",
        summary="Remove an endpoint (its delivery log stays)",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        responses=problems(401, 403, 404),
    )
    async def remove(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        webhook_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> None:
        row = await _endpoint(db_session, current_tenant_id, webhook_id)
        row.deleted_at = clock.now()
        row.active = False
        await db_session.flush()

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        operation_id="rotateWebhookSecret",
        summary="A new signing secret (shown once); the old one also signs for 24 hours",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def rotate(
        self,
        state: State,
        current_tenant_id: NamedDependency[uuid.UUID],
        webhook_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Response[WebhookWithSecret]:
        row = await _endpoint(db_session, current_tenant_id, webhook_id)
        sealer = Sealer(state.settings.require_secret_key())
        secret = service.new_secret()
        row.previous_secret_encrypted = row.secret_encrypted
        row.previous_secret_expires_at = clock.now() + service.ROTATION_GRACE
        row.secret_encrypted = service.seal(sealer, row.id, secret)
        row.updated_at = clock.now()
        await db_session.flush()
        return Response(
            WebhookWithSecret(webhook=webhook_read(row), secret=secret), headers={"Cache-Control": "no-store"}
        )

    @get(
        "/{webhook_id:uuid}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="Deliveries to an endpoint, newest first, with status and response time",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def deliveries(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        webhook_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[
            str | None, QueryParameter(name="state", pattern="^(pending|succeeded|failed|dead)$")
        ] = None,
    ) -> Page[DeliveryRead]:
        await _endpoint(db_session, current_tenant_id, webhook_id)
        query = select(WebhookDelivery).where(
            WebhookDelivery.tenant_id == current_tenant_id, WebhookDelivery.endpoint_id == webhook_id
        )
        if state_filter is not None:
            query = query.where(WebhookDelivery.state == state_filter)
        if (before := after_id(cursor)) is not None:
            query = query.where(WebhookDelivery.id < before)
        rows = list((await db_session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, delivery_read)


class WebhookDeliveryController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/webhook-deliveries"
    tags = ["Webhooks"]

    @post(
        "/{delivery_id:uuid}/replay",
        operation_id="replayWebhookDelivery",
        summary="Send a delivery's event to its endpoint again, as a new delivery",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        status_code=202,
        responses=problems(401, 403, 404),
    )
    async def replay(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        delivery_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> DeliveryRead:
        original = (
            await db_session.execute(
                select(WebhookDelivery).where(
                    WebhookDelivery.tenant_id == current_tenant_id, WebhookDelivery.id == delivery_id
                )
            )
        ).scalar_one_or_none()
        if original is None:
            raise not_found("webhook-delivery")
        await _endpoint(db_session, current_tenant_id, original.endpoint_id)
        replay = await service.queue_delivery(
            db_session,
            current_tenant_id,
            original.endpoint_id,
            original.event_id,
            original.event_type,
            original.payload,
            clock.now(),
            replay_of=original.id,
        )
        record(
            db_session,
            "webhook_delivery.replayed",
            target_kind="webhook_delivery",
            target_id=original.id,
            tenant_id=current_tenant_id,
            changes={"replay": replay.id},
        )
        return delivery_read(replay)
