"""Idempotency-Key for creating requests: a retry with the same key answers the first result.

The key is claimed with INSERT … ON CONFLICT in the request's own transaction, and the response is
stored in that same transaction. So a failed request leaves no trace (the retry runs afresh), a
concurrent duplicate waits on the first one's row lock and then replays its answer, and a
stored answer can never belong to a change that was rolled back.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
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
) -> Response[T]:
    if not key:
        return await run()
    principal = request.user
    assert isinstance(principal, Principal)
    fingerprint = _fingerprint(request)
    row_id = uuid7()
    claimed = await session.scalar(
        text(
            """
            INSERT INTO idempotency_keys (id, tenant_id, principal_id, key, fingerprint, created_at)
            VALUES (:id, :tenant_id, :principal_id, :key, :fingerprint, :now)
            ON CONFLICT (principal_id, key) DO NOTHING RETURNING id
            """
        ),
        {
            "id": row_id,
            "tenant_id": tenant_id,
            "principal_id": principal.id,
            "key": key,
            "fingerprint": fingerprint,
            "now": request.app.state.clock.now(),
        },
    )
    if claimed is None:
        return _replay(await _stored(session, principal.id, key), fingerprint)
    response = await run()
    body = msgspec.json.encode(response.content)
    headers = {k: v for k, v in response.headers.items() if k.lower() in {"etag", "location"}}
    await session.execute(
        text(
            "UPDATE idempotency_keys SET status_code = :status, body = :body, headers = CAST(:headers AS jsonb) WHERE id = :id"
        ),
        {
            "status": response.status_code,
            "body": body,
            "headers": msgspec.json.encode(headers).decode(),
            "id": row_id,
        },
    )
    return response


async def _stored(session: AsyncSession, principal_id: uuid.UUID, key: str) -> Any:
    return (
        await session.execute(
            text(
                "SELECT fingerprint, status_code, body, headers FROM idempotency_keys "
                "WHERE principal_id = :principal_id AND key = :key"
            ),
            {"principal_id": principal_id, "key": key},
        )
    ).one_or_none()


def _replay(row: Any, fingerprint: bytes) -> Response[Any]:
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
    headers = dict(row.headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=bytes(row.body), status_code=row.status_code, headers=headers, media_type="application/json"
    )
