"""Login sessions: refresh-token families."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import RefreshToken
from service.identity.repository import SessionsRepository
from service.kit.credentials import hash_secret, new_refresh_token
from service.kit.ids import uuid7


def new_link(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    family_id: uuid.UUID,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> tuple[RefreshToken, str]:
    """The next refresh token of a family (a new family for a fresh login)."""
    secret = new_refresh_token()
    token = SessionsRepository(session).add_link(
        RefreshToken(
            id=uuid7(),
            tenant_id=tenant_id,
            family_id=family_id,
            user_id=user_id,
            secret_hash=hash_secret(secret),
            issued_at=now,
            expires_at=now + ttl,
        )
    )
    return token, secret


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: dt.datetime, reason: str) -> int:
    """End one session: every link of its chain stops working."""
    return await SessionsRepository(session).revoke_family(family_id, now, reason)


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: dt.datetime, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    """Every session of a user (but `keep`, the caller's own, when changing one's own password)."""
    return await SessionsRepository(session).revoke_user(user_id, now, reason, keep=keep)
