"""Idempotency-Key for creating requests: a retry with the same key answers the first result.

The key is claimed with INSERT … ON CONFLICT in the request's own transaction, and the response is
stored in that same transaction. So a failed request leaves no trace (the retry runs afresh), a
concurrent duplicate waits on the first one's row lock and then replays its answer, and a
stored answer can never belong to a change that was rolled back.

A stored answer lasts 24 hours (`RETENTION`): after that the key is as if it had never been used,
and the scheduler's tidy removes the row. A reply that carries a secret shown once (an API token's
secret, a temporary password, a webhook signing secret) is never stored: the call site says so
with `carries_secret=`, the row keeps only a marker, and a retry answers 409 `secret-not-replayed`
(the first request did succeed; its secret cannot be shown again, and the problem says how to get
a new one). Such a reply, first time or not, says `Cache-Control: no-store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import Principal
from service.kit.errors import Msg, ProblemError
from service.kit.ids import uuid7

T = TypeVar("T")
REPLAYED_HEADER = "Idempotent-Replayed"
RETENTION = dt.timedelta(hours=24)
NO_STORE = "no-store"


@dataclass(frozen=True, slots=True)
class SecretReply:
    """Marks a reply that carries a secret shown once: it is never stored for retries.

    `renew` is the i18n key of the message a retry answers with: how to get a new secret."""

    renew: str


# The replies that carry a secret, for the routes that make them.
API_TOKEN_SECRET = SecretReply("detail.secret-renew.api-token")
TEMPORARY_PASSWORD = SecretReply("detail.secret-renew.temporary-password")
WEBHOOK_SECRET = SecretReply("detail.secret-renew.webhook-secret")


def _fingerprint(request: Request[Any, Any, Any]) -> bytes:
    body = ScopeState.from_scope(request.scope).body
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body if isinstance(body, bytes) else b"")
    return digest.digest()


async def idempotent(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    key: str | None,
    tenant_id: uuid.UUID | None,
    run: Callable[[], Awaitable[Response[T]]],
    *,
    carries_secret: SecretReply | None = None,
) -> Response[T]:
    if not key:
        return _marked(await run(), carries_secret)
    principal = request.user
    assert isinstance(principal, Principal)
    fingerprint = _fingerprint(request)
    now: dt.datetime = request.app.state.clock.now()
    row_id = await _claim(session, principal.id, key, tenant_id, fingerprint, now)
    if row_id is None:
        stored = await _stored(session, principal.id, key)
        if stored is not None and stored.expires_at <= now:
            # Expired, and not yet tidied away: as if the key had never been used.
            await session.execute(text("DELETE FROM idempotency_keys WHERE id = :id"), {"id": stored.id})
            row_id = await _claim(session, principal.id, key, tenant_id, fingerprint, now)
            stored = None if row_id is not None else await _stored(session, principal.id, key)
        if row_id is None:
            return _replay(stored, fingerprint, carries_secret)
    response = _marked(await run(), carries_secret)
    headers = {k: v for k, v in response.headers.items() if k.lower() in {"etag", "location"}}
    await session.execute(
        text(
            "UPDATE idempotency_keys SET status_code = :status, body = :body, headers = CAST(:headers AS jsonb), "
            "secret_withheld = :withheld WHERE id = :id"
        ),
        {
            "status": response.status_code,
            # A secret is never written down: the marker stands in for the reply.
            "body": None if carries_secret else msgspec.json.encode(response.content),
            "headers": msgspec.json.encode(headers).decode(),
            "withheld": carries_secret is not None,
            "id": row_id,
        },
    )
    return response


def _marked(response: Response[T], carries_secret: SecretReply | None) -> Response[T]:
    if carries_secret is not None:
        response.headers["Cache-Control"] = NO_STORE
    return response


async def _claim(
    session: AsyncSession,
    principal_id: uuid.UUID,
    key: str,
    tenant_id: uuid.UUID | None,
    fingerprint: bytes,
    now: dt.datetime,
) -> uuid.UUID | None:
    claimed: uuid.UUID | None = await session.scalar(
        text(
            """
            INSERT INTO idempotency_keys (id, tenant_id, principal_id, key, fingerprint, created_at, expires_at)
            VALUES (:id, :tenant_id, :principal_id, :key, :fingerprint, :now, :expires_at)
            ON CONFLICT (principal_id, key) DO NOTHING RETURNING id
            """
        ),
        {
            "id": uuid7(),
            "tenant_id": tenant_id,
            "principal_id": principal_id,
            "key": key,
            "fingerprint": fingerprint,
            "now": now,
            "expires_at": now + RETENTION,
        },
    )
    return claimed


async def _stored(session: AsyncSession, principal_id: uuid.UUID, key: str) -> Any:
    return (
        await session.execute(
            text(
                "SELECT id, fingerprint, status_code, body, headers, expires_at, secret_withheld FROM idempotency_keys "
                "WHERE principal_id = :principal_id AND key = :key"
            ),
            {"principal_id": principal_id, "key": key},
        )
    ).one_or_none()


def _replay(row: Any, fingerprint: bytes, carries_secret: SecretReply | None) -> Response[Any]:
    # Not visible (used in another tenant) or used for another request: the key cannot serve this one.
    if row is None or bytes(row.fingerprint) != fingerprint:
        raise ProblemError(
            "conflict", Msg("detail.idempotency-mismatch"), extensions={"reason": "idempotency-key-reused"}
        )
    if row.status_code is None:  # only possible if the first request is still running in this transaction
        raise ProblemError(
            "conflict",
            Msg("detail.idempotency-in-progress"),
            extensions={"reason": "idempotency-in-progress"},
        )
    if row.secret_withheld or row.body is None or carries_secret is not None:
        # The first request succeeded, and the secret in its reply was shown that once.
        renew = carries_secret.renew if carries_secret is not None else "detail.secret-renew.other"
        raise ProblemError(
            "conflict",
            Msg("detail.secret-not-replayed", {"renew": Msg(renew)}),
            extensions={"reason": "secret-not-replayed"},
        )
    headers = dict(row.headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=bytes(row.body), status_code=row.status_code, headers=headers, media_type="application/json"
    )
