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


# ---- the login attempt counters ----------------------------------------------------------------------------

# One more attempt on a key, in one statement: a new window once the last has passed (or a lock has
# run out); a key still locked keeps its lock and its count. The row stays locked until the attempt's
# transaction ends, so parallel attempts on one key are counted one after another.
_ATTEMPT = text(
    """
    INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
    VALUES (:key, 1, :now, NULL)
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.locked_until > :now THEN t.failures
                      WHEN t.window_started_at <= :cutoff OR t.locked_until IS NOT NULL THEN 1
                      ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.locked_until > :now THEN t.window_started_at
                               WHEN t.window_started_at <= :cutoff OR t.locked_until IS NOT NULL THEN :now
                               ELSE t.window_started_at END,
      locked_until = CASE WHEN t.locked_until > :now THEN t.locked_until END
    RETURNING failures, locked_until
    """
)
_LOCK = text("UPDATE login_throttle SET locked_until = :until WHERE key = :key")


class ThrottleRepository:
    """The counters of login attempts, shared by every API process."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def attempt(
        self, limits: dict[str, int], now: dt.datetime, *, window: dt.timedelta, lockout: dt.timedelta
    ) -> dt.datetime | None:
        """Count one attempt on each key and decide it, in one transaction, before any password is
        checked: None when it may go on, else until when a key is locked (a key past its limit is
        locked now, for `lockout`)."""
        refused: dt.datetime | None = None
        async with self.db.engine.begin() as conn:
            for key, limit in sorted(limits.items()):  # one order: parallel attempts cannot deadlock
                row = (await conn.execute(_ATTEMPT, {"key": key, "now": now, "cutoff": now - window})).one()
                until = row.locked_until
                if until is None and row.failures > limit:
                    until = now + lockout
                    await conn.execute(_LOCK, {"key": key, "until": until})
                if until is not None and (refused is None or until > refused):
                    refused = until
        return refused

    async def forget(self, key: str) -> None:
        """A key's attempts, forgotten (the account logged in)."""
        async with self.db.engine.begin() as conn:
            await conn.execute(text("DELETE FROM login_throttle WHERE key = :key"), {"key": key})

    async def refund(self, key: str) -> None:
        """One attempt of a key that succeeded, taken back (an address shared by many people)."""
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE login_throttle SET failures = greatest(failures - 1, 0) "
                    "WHERE key = :key AND locked_until IS NULL"
                ),
                {"key": key},
            )
