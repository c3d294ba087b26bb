"""Login sessions: refresh-token families."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import RefreshToken
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
    token = RefreshToken(
        id=uuid7(),
        tenant_id=tenant_id,
        family_id=family_id,
        user_id=user_id,
        secret_hash=hash_secret(secret),
        issued_at=now,
        expires_at=now + ttl,
    )
    session.add(token)
    return token, secret


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: dt.datetime, reason: str) -> int:
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: dt.datetime, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    """Every session of a user (but `keep`, the caller's own, when changing one's own password)."""
    query = update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
    if keep is not None:
        query = query.where(RefreshToken.family_id != keep)
    result = await session.execute(query.values(revoked_at=now, revoked_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
