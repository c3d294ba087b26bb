"""/v1/tenants/{tenant_id}/webhooks: endpoints, secrets, deliveries and replays."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.crypto import Sealer
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
from service.kit.idempotency import NO_STORE, WEBHOOK_SECRET, idempotent
from service.kit.permissions import Permission
from service.webhooks import service
from service.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from service.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookRead, WebhookUpdate, WebhookWithSecret


def webhook_read(row: WebhookEndpoint) -> WebhookRead:
    return msgspec.convert(row, WebhookRead, from_attributes=True)


def delivery_read(row: WebhookDelivery) -> DeliveryRead:
    return msgspec.convert(row, DeliveryRead, from_attributes=True)


def _production(state: State) -> bool:
    return bool(state.settings.environment == "production")


def _sealer(state: State) -> Sealer:
    return Sealer(state.settings.require_secret_key())


class WebhookController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/webhooks"
    tags = ["Webhooks"]

    @post(
        "/",
        operation_id="createWebhook",
        summary="Register an endpoint; its signing secret is shown once",
        guards=[requires(Permission.WEBHOOKS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        ctx: NamedDependency[Ctx],
        data: JSONBody[WebhookCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[WebhookWithSecret]:
        """Deliveries are POSTed as JSON and signed: `Koshiki-Signature: t=<unix>,v1=<hex HMAC-SHA256
        of "<t>.<body>" with the secret>`. In production the URL must be https and must not resolve
        to a private address."""
        service.check_event_types(list(data.event_types))
        service.check_url(data.url, production=_production(state), allow_private=state.settings.webhook_allow_private)

        async def run() -> Response[WebhookWithSecret]:
            endpoint, secret = await service.create_endpoint(ctx, data, _sealer(state))
            body = WebhookWithSecret(webhook=webhook_read(endpoint), secret=secret)
            return Response(body, status_code=201, headers={"ETag": etag(endpoint.version), "Cache-Control": NO_STORE})

        return await idempotent(
            request, ctx.session, idempotency_key, ctx.tenant_id, run, carries_secret=WEBHOOK_SECRET
        )

    @get(
        "/",
        operation_id="listWebhooks",
        summary="List endpoints",
        guards=[requires(Permission.WEBHOOKS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[WebhookRead]:
        rows, more = await service.list_endpoints(ctx, after_id(cursor), limit)
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
        ctx: NamedDependency[Ctx],
        webhook_id: FromPath[uuid.UUID],
    ) -> Response[WebhookRead]:
        row = await service.get_endpoint(ctx, webhook_id)
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
        ctx: NamedDependency[Ctx],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookUpdate],
        if_match: IfMatch = None,
    ) -> Response[WebhookRead]:
        row = await service.get_endpoint(ctx, webhook_id, lock=True)
        require_if_match(request, row.version)
        await service.update_endpoint(
            ctx, row, data, production=_production(state), allow_private=state.settings.webhook_allow_private
        )
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
        ctx: NamedDependency[Ctx],
        webhook_id: FromPath[uuid.UUID],
    ) -> None:
        row = await service.get_endpoint(ctx, webhook_id, lock=True)
        await service.remove_endpoint(ctx, row)

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
        ctx: NamedDependency[Ctx],
        webhook_id: FromPath[uuid.UUID],
    ) -> Response[WebhookWithSecret]:
        row = await service.get_endpoint(ctx, webhook_id, lock=True)
        secret = await service.rotate_secret(ctx, row, _sealer(state))
        return Response(
            WebhookWithSecret(webhook=webhook_read(row), secret=secret), headers={"Cache-Control": NO_STORE}
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
        ctx: NamedDependency[Ctx],
        webhook_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[DeliveryState | None, QueryParameter(name="state")] = None,
    ) -> Page[DeliveryRead]:
        rows, more = await service.list_deliveries(ctx, webhook_id, after_id(cursor), limit, state=state_filter)
        return id_page(rows, more, delivery_read)


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
        ctx: NamedDependency[Ctx],
        delivery_id: FromPath[uuid.UUID],
    ) -> DeliveryRead:
        return delivery_read(await service.replay(ctx, delivery_id))
