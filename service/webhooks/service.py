"""Webhooks: endpoints, their secrets, signing, and delivering one event to one endpoint.

Each delivery is signed: `Koshiki-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
After a secret rotation the previous secret also signs (a second `v1=`) for 24 hours, so a
receiver can switch over without losing deliveries. Delivery is at least once: receivers should
ignore a `Koshiki-Delivery-Id` they have already processed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.events.hooks import Dispatch
from service.events.models import Event
from service.kit import registry
from service.kit.context import Ctx
from service.kit.crypto import Sealer
from service.kit.errors import FieldError, Msg, validation_failed
from service.kit.ids import uuid7
from service.kit.queue import enqueue
from service.webhooks import repository
from service.webhooks.models import FINISHED, DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.webhooks.repository import DeliveriesRepository, EndpointsRepository
from service.webhooks.schemas import WebhookCreate, WebhookUpdate

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
ROTATION_GRACE = dt.timedelta(hours=24)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def seal(sealer: Sealer, endpoint_id: uuid.UUID, secret: str) -> bytes:
    return sealer.seal(secret.encode(), f"webhook:{endpoint_id}")


def unseal(sealer: Sealer, endpoint_id: uuid.UUID, blob: bytes) -> str:
    return sealer.open(blob, f"webhook:{endpoint_id}").decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets_in_use: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets_in_use)])


def check_event_types(types: list[str]) -> None:
    known = registry.current().event_types

    errors = [
        FieldError(Msg("field.enum", {"allowed": ", ".join(["*", *known])}), "enum", f"/event_types/{i}")
        for i, t in enumerate(types)
        if t != "*" and t not in known
    ]
    if errors:
        raise validation_failed(errors)


def check_url(url: str, *, production: bool) -> None:
    if production and not url.startswith("https://"):
        raise validation_failed([FieldError(Msg("webhook.https-only"), "https_only", "/url")])


def _private(host: str) -> bool:
    """Whether a host resolves to an address an outside caller should never reach through us
    (loopback, private ranges, link-local such as cloud metadata, …)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return False  # the request will fail on its own
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            return True
    return False


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return (
        endpoint.active
        and endpoint.deleted_at is None
        and ("*" in endpoint.event_types or event_type in endpoint.event_types)
    )


def payload_for(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "tenant_id": str(event.tenant_id),
        "subject": {"kind": event.subject_kind, "id": event.subject_id},
        "data": event.data,
    }


# ---- endpoints (the API) ------------------------------------------------------------------------------


async def create_endpoint(ctx: Ctx, data: WebhookCreate, sealer: Sealer) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown once; only its sealed form is kept)."""
    now = ctx.now()
    endpoint_id = uuid7()
    secret = new_secret()
    endpoint = EndpointsRepository(ctx.session, ctx.tenant_id).add(
        WebhookEndpoint(
            id=endpoint_id,
            tenant_id=ctx.tenant_id,
            url=data.url,
            event_types=sorted(set(data.event_types)),
            description=data.description,
            active=True,
            secret_encrypted=seal(sealer, endpoint_id, secret),
            created_by=ctx.access.label,
            created_at=now,
            updated_at=now,
        )
    )
    await ctx.session.flush()
    return endpoint, secret


async def list_endpoints(ctx: Ctx, after: uuid.UUID | None, limit: int) -> tuple[list[WebhookEndpoint], bool]:
    return await EndpointsRepository(ctx.session, ctx.tenant_id).in_order(after, limit)


async def get_endpoint(ctx: Ctx, webhook_id: uuid.UUID, *, lock: bool = False) -> WebhookEndpoint:
    return await EndpointsRepository(ctx.session, ctx.tenant_id).get_or_404(webhook_id, lock=lock)


async def update_endpoint(ctx: Ctx, endpoint: WebhookEndpoint, data: WebhookUpdate, *, production: bool) -> None:
    if data.event_types is not msgspec.UNSET:
        check_event_types(list(data.event_types))
        endpoint.event_types = sorted(set(data.event_types))
    if data.url is not msgspec.UNSET:
        check_url(data.url, production=production)
        endpoint.url = data.url
    if data.description is not msgspec.UNSET:
        endpoint.description = data.description
    if data.active is not msgspec.UNSET:
        endpoint.active = data.active
    endpoint.updated_at = ctx.now()
    await ctx.session.flush()


async def remove_endpoint(ctx: Ctx, endpoint: WebhookEndpoint) -> None:
    """Gone from the API and from dispatch; its delivery log stays."""
    endpoint.deleted_at = ctx.now()
    endpoint.active = False
    await ctx.session.flush()


async def rotate_secret(ctx: Ctx, endpoint: WebhookEndpoint, sealer: Sealer) -> str:
    """A new signing secret (returned, shown once); the previous one also signs for ROTATION_GRACE."""
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = ctx.now() + ROTATION_GRACE
    endpoint.secret_encrypted = seal(sealer, endpoint.id, secret)
    endpoint.updated_at = ctx.now()
    await ctx.session.flush()
    return secret


async def list_deliveries(
    ctx: Ctx, webhook_id: uuid.UUID, before: uuid.UUID | None, limit: int, *, state: DeliveryState | None = None
) -> tuple[list[WebhookDelivery], bool]:
    """An endpoint's deliveries, newest first (404 for an endpoint that is not, or no longer, there)."""
    await get_endpoint(ctx, webhook_id, lock=True)
    return await DeliveriesRepository(ctx.session, ctx.tenant_id).of_endpoint(webhook_id, before, limit, state=state)


async def replay(ctx: Ctx, delivery_id: uuid.UUID) -> WebhookDelivery:
    """The delivery's event sent to its endpoint again, as a new delivery (the endpoint must still be there)."""
    original = await DeliveriesRepository(ctx.session, ctx.tenant_id).get_or_404(delivery_id)
    await get_endpoint(ctx, original.endpoint_id, lock=True)
    again = await queue_delivery(
        ctx.session,
        ctx.tenant_id,
        original.endpoint_id,
        original.event_id,
        original.event_type,
        original.payload,
        ctx.now(),
        replay_of=original.id,
    )
    record(
        ctx.session,
        "webhook_delivery.replayed",
        target_kind="webhook_delivery",
        target_id=original.id,
        tenant_id=ctx.tenant_id,
        changes={"replay": again.id},
    )
    return again


# ---- deliveries (the workers) --------------------------------------------------------------------------


async def queue_deliveries(fact: Dispatch) -> int:
    """One delivery of the event for each of the tenant's endpoints subscribed to its type."""
    session, event, now = fact.session, fact.event, fact.now
    count = 0
    for endpoint in await EndpointsRepository(session, event.tenant_id).all():
        if subscribed(endpoint, event.type):
            await queue_delivery(
                session, endpoint.tenant_id, endpoint.id, event.id, event.type, payload_for(event), now
            )
            count += 1
    return count


async def queue_delivery(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    event_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    now: dt.datetime,
    replay_of: uuid.UUID | None = None,
) -> WebhookDelivery:
    delivery = DeliveriesRepository(session, tenant_id).add(
        WebhookDelivery(
            id=uuid7(),
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            state=DeliveryState.PENDING,
            replay_of=replay_of,
            created_at=now,
        )
    )
    await session.flush()
    await enqueue(session, "deliver_webhook", tenant_id=tenant_id, now=now, delivery_id=str(delivery.id))
    return delivery


async def to_deliver(
    session: AsyncSession, delivery_id: uuid.UUID, sealer: Sealer, now: dt.datetime
) -> tuple[WebhookDelivery, str, list[str]] | None:
    """The delivery, its endpoint's URL and the secrets that sign it now; None when there is
    nothing to do (delivered, dead, or its endpoint switched off or removed)."""
    delivery = await repository.delivery_by_id(session, delivery_id)
    endpoint = await repository.endpoint_by_id(session, delivery.endpoint_id)
    if delivery.state in FINISHED or not endpoint.active or endpoint.deleted_at is not None:
        return None
    in_use = [unseal(sealer, endpoint.id, endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and (endpoint.previous_secret_expires_at or now) > now:
        in_use.append(unseal(sealer, endpoint.id, endpoint.previous_secret_encrypted))
    return delivery, endpoint.url, in_use


async def record_outcome(session: AsyncSession, delivery: WebhookDelivery, outcome: Outcome, now: dt.datetime) -> None:
    """Log the attempt, and its outcome on the delivery: succeeded, or failed (to be retried)."""
    attempt = WebhookAttempt(
        id=uuid7(),
        tenant_id=delivery.tenant_id,
        delivery_id=delivery.id,
        attempted_at=now,
        status=outcome.status,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )
    state = DeliveryState.SUCCEEDED if outcome.ok else DeliveryState.FAILED
    await repository.record_attempt(session, attempt, state=state, delivered_at=now if outcome.ok else None)


async def give_up(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    """Out of retries: dead (unless it succeeded meanwhile). It may be replayed."""
    await repository.mark_dead(session, delivery_id)


class Outcome:
    def __init__(self, status: int | None, duration_ms: int, error: str | None) -> None:
        self.status = status
        self.duration_ms = duration_ms
        self.error = error

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def post(
    url: str, delivery: WebhookDelivery, secrets_in_use: list[str], *, allow_private: bool, now: dt.datetime
) -> Outcome:
    """One attempt: POST the signed payload and time it. Never raises for the receiver's failures."""
    host = urlsplit(url).hostname or ""
    if not allow_private and await asyncio.to_thread(_private, host):
        return Outcome(None, 0, "refused: the URL resolves to a private or loopback address")
    body = json.dumps(
        {**delivery.payload, "delivery_id": str(delivery.id)}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Koshiki-Webhooks/1",
        "Koshiki-Event-Id": str(delivery.event_id),
        "Koshiki-Event-Type": delivery.event_type,
        "Koshiki-Delivery-Id": str(delivery.id),
        "Koshiki-Signature": signature_header(secrets_in_use, timestamp, body),
    }
    started = time.perf_counter()
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            response = await client.post(url, content=body, headers=headers)
        elapsed = int((time.perf_counter() - started) * 1000)
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Outcome(response.status_code, elapsed, error)
    except httpx.HTTPError as exc:
        return Outcome(None, int((time.perf_counter() - started) * 1000), f"{type(exc).__name__}: {exc}"[:500])
