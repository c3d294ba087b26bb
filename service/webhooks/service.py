"""Webhooks: endpoints, their secrets, signing, and delivering one event to one endpoint.

Each delivery is signed: `Koshiki-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
After a secret rotation the previous secret also signs (a second `v1=`) for 24 hours, so a
receiver can switch over without losing deliveries. Delivery is at least once: receivers should
ignore a `Koshiki-Delivery-Id` they have already processed.

Where a delivery goes: the URL's host is resolved once, every address it resolves to is checked
against the special-use ranges (unless private targets are allowed: outside production, or with
WEBHOOK_ALLOW_PRIVATE), and the request connects to the checked address itself, with the host in
`Host` and as the TLS server name, so certificates are verified as usual. A host that does not
resolve fails the attempt (retried like any failure); redirects are never followed; proxies from
the environment are not used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import ssl
import time
import uuid
from typing import Any

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
RESOLVE_TIMEOUT = 5.0
DEFAULT_PORTS = {"http": 80, "https": 443}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA IPv4 Special-Purpose Address Registry (every entry, globally reachable or not: none is a
# webhook receiver), plus multicast (IPv4 Multicast Address Space Registry).
SPECIAL_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT; some clouds' metadata)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments (DS-Lite, NAT64 discovery, PCP/TURN anycast)
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112 service
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast address 255.255.255.255
    )
)
# IPv6: only global unicast (2000::/3) is ever a receiver. Outside it lie loopback, unspecified,
# unique local, link-local, site-local, multicast, discard-only, SRv6 SIDs, local-use NAT64 and the
# unallocated rest. Inside it, the IANA IPv6 Special-Purpose Address Registry's entries:
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
SPECIAL_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) included
        "2001:db8::/32",  # documentation
        "2620:4f:8000::/48",  # direct delegation AS112 service
        "3fff::/20",  # documentation
    )
)
# IPv6 addresses that carry an IPv4 address: checked as that address.
NAT64_V6 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)


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


def check_url(url: str, *, production: bool, allow_private: bool | None = None) -> None:
    """An endpoint's URL: https in production, and, unless private targets are allowed (by default
    outside production, as WEBHOOK_ALLOW_PRIVATE), no special-use address literal or localhost
    name. A name is checked again, resolved, at every delivery."""
    if production and not url.startswith("https://"):
        raise validation_failed([FieldError(Msg("webhook.https-only"), "https_only", "/url")])
    if allow_private if allow_private is not None else not production:
        return
    try:
        host = httpx.URL(url).raw_host.decode("ascii")
    except httpx.InvalidURL as exc:
        raise validation_failed([FieldError(Msg("webhook.invalid-url"), "invalid_url", "/url")]) from exc
    if _refused_at_once(host):
        raise validation_failed([FieldError(Msg("webhook.private-address"), "private_address", "/url")])


def special_use(address: Address) -> bool:
    """Whether an address is one an outside caller must never reach through us: private, loopback,
    link-local, carrier-grade NAT, multicast, reserved, documentation, benchmarking, … (IANA's
    special-purpose registries). An IPv6 address carrying an IPv4 one (IPv4-mapped, NAT64, 6to4)
    is judged by that IPv4 address."""
    if isinstance(address, ipaddress.IPv4Address):
        return any(address in network for network in SPECIAL_V4)
    if address.ipv4_mapped is not None:
        return special_use(address.ipv4_mapped)
    if address in NAT64_V6:
        return special_use(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        return special_use(address.sixtofour)
    return address not in GLOBAL_UNICAST_V6 or any(address in network for network in SPECIAL_V6)


def _literal(host: str) -> Address | None:
    """The address a host names without asking DNS (`127.1` and `2130706433` included), or None."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return ipaddress.ip_address(infos[0][4][0]) if infos else None


def _refused_at_once(host: str) -> bool:
    """A host that is plainly special-use without a lookup: an address literal or a localhost name."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _literal(host)
    return address is not None and special_use(address)


class Unresolvable(Exception):
    """The host has no address (or the lookup failed or timed out)."""


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in the resolver's order, each once. The one lookup a
    delivery makes: the connection goes to one of these, never to a second answer."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP), RESOLVE_TIMEOUT
        )
    except (OSError, UnicodeError, TimeoutError) as exc:  # socket.gaierror is an OSError
        raise Unresolvable(host) from exc
    found = [ipaddress.ip_address(info[4][0]) for info in infos if info[0] in {socket.AF_INET, socket.AF_INET6}]
    if not found:
        raise Unresolvable(host)
    return list(dict.fromkeys(found))


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Certificate verification as httpx does it by default (certifi's roots, or SSL_CERT_FILE /
    SSL_CERT_DIR), made once rather than for every delivery."""
    return httpx.create_ssl_context()


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


async def update_endpoint(
    ctx: Ctx, endpoint: WebhookEndpoint, data: WebhookUpdate, *, production: bool, allow_private: bool | None = None
) -> None:
    if data.event_types is not msgspec.UNSET:
        check_event_types(list(data.event_types))
        endpoint.event_types = sorted(set(data.event_types))
    if data.url is not msgspec.UNSET:
        check_url(data.url, production=production, allow_private=allow_private)
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
    """One attempt: POST the signed payload and time it. Never raises for the receiver's failures.

    The host is resolved here, once; the request connects to a checked address of that answer."""
    started = time.perf_counter()

    def failed(error: str) -> Outcome:
        return Outcome(None, int((time.perf_counter() - started) * 1000), error[:500])

    try:
        target = httpx.URL(url)
        host = target.raw_host.decode("ascii")
        addresses = await resolve(host, target.port or DEFAULT_PORTS[target.scheme])
    except (httpx.InvalidURL, KeyError, UnicodeError):
        return failed("refused: not an http(s) URL with a host")
    except Unresolvable:
        return failed(f"the host {host} does not resolve")
    if not allow_private and (special := [a for a in addresses if special_use(a)]):
        return failed(f"refused: {host} resolves to a private or special-use address ({special[0]})")
    body = json.dumps(
        {**delivery.payload, "delivery_id": str(delivery.id)}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    timestamp = int(now.timestamp())
    headers = {
        # The name the URL gave, though the connection goes to an address of it.
        "Host": target.netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": "Koshiki-Webhooks/1",
        "Koshiki-Event-Id": str(delivery.event_id),
        "Koshiki-Event-Type": delivery.event_type,
        "Koshiki-Delivery-Id": str(delivery.id),
        "Koshiki-Signature": signature_header(secrets_in_use, timestamp, body),
    }
    # TLS: the certificate is verified against the host (sent as SNI), not against the address.
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    try:
        async with httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False, verify=_tls_context()
        ) as client:
            response = await _send(client, target, addresses, body, headers, extensions)
        elapsed = int((time.perf_counter() - started) * 1000)
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Outcome(response.status_code, elapsed, error)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return failed(f"{type(exc).__name__}: {exc}")


async def _send(
    client: httpx.AsyncClient,
    target: httpx.URL,
    addresses: list[Address],
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, Any],
) -> httpx.Response:
    """POST to the first of the (checked) addresses that accepts a connection."""
    for address in addresses[:-1]:
        try:
            return await client.post(
                target.copy_with(host=str(address)), content=body, headers=headers, extensions=extensions
            )
        except httpx.ConnectError:
            continue
    return await client.post(
        target.copy_with(host=str(addresses[-1])), content=body, headers=headers, extensions=extensions
    )
