"""API tokens for agency systems and platform operators: scoped, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.clock import Clock
from service.kit.credentials import display_prefix, hash_secret, new_api_token
from service.kit.errors import conflict
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.tokens.models import ApiToken
from service.tokens.repository import TokensRepository


async def issue_token(
    session: AsyncSession,
    clock: Clock,
    *,
    role: Role,
    tenant_id: uuid.UUID | None,
    name: str,
    scopes: frozenset[str],
    expires_at: dt.datetime | None,
    created_by: str,
    created_by_id: uuid.UUID | None = None,
    description: str = "",
) -> tuple[ApiToken, str]:
    """A new token and its secret. The secret exists only in the return value."""
    secret = new_api_token()
    token = TokensRepository(session, tenant_id).add(
        ApiToken(
            id=uuid7(),
            tenant_id=tenant_id,
            role=role.value,
            name=name,
            description=description,
            token_prefix=display_prefix(secret),
            secret_hash=hash_secret(secret),
            scopes=sorted(scopes),
            created_by=created_by,
            created_by_id=created_by_id,
            created_at=clock.now(),
            expires_at=expires_at,
        )
    )
    await session.flush()
    return token, secret


async def revoke_token(session: AsyncSession, clock: Clock, token: ApiToken, revoked_by: str) -> ApiToken:
    if token.revoked_at is not None:
        raise conflict("conflict.token-revoked")
    token.revoked_at = clock.now()
    token.revoked_by = revoked_by
    await session.flush()
    return token
