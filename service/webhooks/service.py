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
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import Dispatch
from service.events.models import Event
from service.kit import registry
from service.kit.crypto import Sealer
from service.kit.errors import FieldError, Msg, validation_failed
from service.kit.ids import uuid7
from service.kit.queue import enqueue
from service.webhooks.models import WebhookDelivery, WebhookEndpoint

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


async def queue_deliveries(fact: Dispatch) -> int:
    session, event, now = fact.session, fact.event, fact.now
    endpoints = (
        await session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id == event.tenant_id, WebhookEndpoint.deleted_at.is_(None)
            )
        )
    ).scalars()
    count = 0
    for endpoint in endpoints:
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
    delivery = WebhookDelivery(
        id=uuid7(),
        tenant_id=tenant_id,
        endpoint_id=endpoint_id,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        state="pending",
        replay_of=replay_of,
        created_at=now,
    )
    session.add(delivery)
    await session.flush()
    await enqueue(session, "deliver_webhook", tenant_id=tenant_id, now=now, delivery_id=str(delivery.id))
    return delivery


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
