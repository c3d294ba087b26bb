"""Every query of identity: finding a login, users as logging in sees them, refresh-token chains,
and the failed-login counters.

Finding a login or a refresh token happens before anyone is known, so before any tenant is: two
SECURITY DEFINER functions (`koshiki_find_login`, `koshiki_find_refresh_token`) look across
tenants for exactly one row and nothing else. The throttle counters are platform rows of their
own, each change its own short transaction on the engine: a failed login must be counted even
though the request itself fails.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import RefreshToken, User
from service.kit.db import Database

# ---- before anyone is known: the definer functions ------------------------------------------------------


async def find_login(db: Database, login: str) -> Any | None:
    """The user a login ID or e-mail names, in any tenant (id, tenant_id, password_hash, disabled_at)."""
    async with db.engine.connect() as conn:
        return (await conn.execute(text("SELECT * FROM koshiki_find_login(:login)"), {"login": login})).one_or_none()


async def find_refresh_token(db: Database, secret_hash: bytes) -> Any | None:
    """The refresh token with this hash, in any tenant (its id and tenant_id)."""
    async with db.engine.connect() as conn:
        return (
            await conn.execute(text("SELECT * FROM koshiki_find_refresh_token(:hash)"), {"hash": secret_hash})
        ).one_or_none()


# ---- users and their sessions, in the session's tenant (or the platform) ---------------------------------


class SessionsRepository:
    """A user's row as logging in sees it, and their refresh-token chains, in whatever the session
    is scoped to: the user's tenant, or the platform for a platform operator."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user(self, user_id: uuid.UUID, *, lock: bool = False) -> User:
        """The user a definer function found (they exist: the same transaction scope sees them)."""
        query = select(User).where(User.id == user_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one()

    async def stamp_login(self, user_id: uuid.UUID, values: dict[str, object]) -> None:
        """A plain UPDATE: logging in is not an edit of the user, so their version (ETag) stays."""
        await self.session.execute(update(User).where(User.id == user_id).values(**values))

    async def link(self, link_id: uuid.UUID, *, lock: bool = False) -> RefreshToken:
        query = select(RefreshToken).where(RefreshToken.id == link_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one()

    def add_link(self, link: RefreshToken) -> RefreshToken:
        self.session.add(link)
        return link

    async def revoke_family(self, family_id: uuid.UUID, now: dt.datetime, reason: str) -> int:
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def revoke_user(
        self, user_id: uuid.UUID, now: dt.datetime, reason: str, *, keep: uuid.UUID | None = None
    ) -> int:
        query = update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        if keep is not None:
            query = query.where(RefreshToken.family_id != keep)
        result = await self.session.execute(query.values(revoked_at=now, revoked_reason=reason))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


# ---- the failed-login counters ----------------------------------------------------------------------------

_COUNT_FAILURE = text(
    """
    INSERT INTO login_throttle AS t (key, failures, window_started_at)
    VALUES (:key, 1, :now)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at <= :cutoff THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at <= :cutoff
                               THEN :now ELSE t.window_started_at END
    """
)
_LOCK_OUT = text(
    "UPDATE login_throttle SET locked_until = :until, failures = 0, window_started_at = :now "
    "WHERE key = :key AND failures >= :limit"
)


class ThrottleRepository:
    """The counters, each statement in its own short transaction on the engine."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def locked_until(self, keys: list[str], now: dt.datetime) -> dt.datetime | None:
        """The latest lock still running on any of these keys."""
        async with self.db.engine.connect() as conn:
            until: dt.datetime | None = await conn.scalar(
                text("SELECT max(locked_until) FROM login_throttle WHERE key = ANY(:keys) AND locked_until > :now"),
                {"keys": keys, "now": now},
            )
        return until

    async def count_failures(
        self, limits: dict[str, int], now: dt.datetime, *, window: dt.timedelta, lockout: dt.timedelta
    ) -> None:
        """One more failure on each key (a new window once the last has passed); a key that reaches
        its limit is locked for `lockout`, its count starting again."""
        async with self.db.engine.begin() as conn:
            for key, limit in limits.items():
                await conn.execute(_COUNT_FAILURE, {"key": key, "now": now, "cutoff": now - window})
                await conn.execute(_LOCK_OUT, {"key": key, "until": now + lockout, "now": now, "limit": limit})

    async def clear(self, key: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM login_throttle WHERE key = :key"), {"key": key})
