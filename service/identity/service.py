"""Logging in, refreshing and logging out.

A login gives a short-lived access JWT and a refresh token. Each refresh replaces the refresh
token with the next of its family; presenting a used one again means it leaked, so the whole
family (the session) is revoked. Logout revokes the session, "log out everywhere" every session
of the user; disabling a user does the same. Access tokens already issued then live out their
few minutes (ACCESS_TOKEN_TTL_SECONDS, 5–15 minutes) and are not renewed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.config import Settings
from service.identity.models import User
from service.identity.passwords import Passwords
from service.identity.repository import SessionsRepository, find_login, find_refresh_token
from service.identity.sessions import new_link, revoke_family, revoke_user_sessions
from service.identity.throttle import LoginThrottle, account_key
from service.kit.actor import Actor, acting_as
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.credentials import hash_secret
from service.kit.db import Database, set_platform, set_tenant
from service.kit.errors import Msg, ProblemError
from service.kit.ids import uuid7
from service.kit.jwt import KeyRing


@dataclass(frozen=True)
class IssuedSession:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    password_change_required: bool


def invalid_credentials() -> ProblemError:
    return ProblemError("unauthorized", Msg("detail.invalid-credentials"), headers={"WWW-Authenticate": "Bearer"})


def invalid_refresh() -> ProblemError:
    return ProblemError(
        "unauthorized", Msg("detail.invalid-refresh-token"), extensions={"reason": "invalid-refresh-token"}
    )


async def enter(session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
    """Scope a transaction to a user's tenant (or the platform, for platform operators)."""
    if tenant_id is None:
        await set_platform(session)
    else:
        await set_tenant(session, tenant_id)


def user_actor(user: User, ip: str | None) -> Actor:
    return Actor("user", user.id, f"user:{user.login_id}", ip)


class Identity:
    """The identity service one API process keeps in its state."""

    def __init__(self, db: Database, clock: Clock, settings: Settings, keyring: KeyRing, passwords: Passwords) -> None:
        self.db = db
        self.clock = clock
        self.keyring = keyring
        self.passwords = passwords
        self.throttle = LoginThrottle(db, clock, settings)
        self.refresh_ttl = dt.timedelta(days=settings.refresh_token_ttl_days)

    async def access_token(self, user: User, family_id: uuid.UUID) -> tuple[str, int]:
        claims = {
            "tid": str(user.tenant_id) if user.tenant_id else None,
            "roles": sorted(user.roles),
            "uid": str(user.unit_id) if user.unit_id else None,
            "sid": str(family_id),
            "name": user.login_id,
            "pcr": user.password_must_change,
        }
        return await self.keyring.issue(user.id, {k: v for k, v in claims.items() if v is not None})

    async def _issue(self, user: User, refresh_secret: str, family_id: uuid.UUID) -> IssuedSession:
        access, expires_in = await self.access_token(user, family_id)
        return IssuedSession(
            access_token=access,
            expires_in=expires_in,
            refresh_token=refresh_secret,
            refresh_expires_in=int(self.refresh_ttl.total_seconds()),
            password_change_required=user.password_must_change,
        )

    async def _record_alone(
        self, action: str, tenant_id: uuid.UUID | None, target: uuid.UUID | None, actor: Actor, **changes: object
    ) -> None:
        """An audit event that must outlive a failing request (a refused login, a reused token)."""
        with acting_as(actor):
            async with self.db.unit_of_work() as session:
                await enter(session, tenant_id)
                record(session, action, target_kind="user", target_id=target, tenant_id=tenant_id, changes=changes)

    async def login(self, login: str, password: str, ip: str | None) -> IssuedSession:
        """A name finds one user or none (login IDs and e-mails share one namespace); the attempt is
        counted before the password is checked; a wrong password, an unknown name and a disabled
        user all answer the same 401, so no answer confirms a guessed password."""
        found = await find_login(self.db, login)
        account = account_key(found.id if found else None, login)
        await self.throttle.attempt(account, ip)
        right = await self.passwords.verify(found.password_hash if found else None, password)
        if not right or found is None or found.disabled_at is not None:
            if right and found is not None:  # the right password of a disabled user: the trail says so
                action, actor = "auth.login_refused", Actor("user", found.id, f"login:{login[:64]}", ip)
                extra = {"reason": "disabled"}
            else:
                action, actor, extra = "auth.login_failed", Actor("anonymous", None, f"login:{login[:64]}", ip), {}
            await self._record_alone(
                action, found.tenant_id if found else None, found.id if found else None, actor, **extra
            )
            raise invalid_credentials()
        await self.throttle.succeeded(account, ip)
        now = self.clock.now()
        async with self.db.unit_of_work() as session:
            await enter(session, found.tenant_id)
            users = SessionsRepository(session)
            user = await users.user(found.id, lock=True)
            with acting_as(user_actor(user, ip)):
                # Logging in is not an edit of the user: their ETag stays.
                values: dict[str, object] = {"last_login_at": now}
                if self.passwords.needs_rehash(user.password_hash):  # parameters have risen since
                    values["password_hash"] = await self.passwords.hash(password)
                await users.stamp_login(user.id, values)
                family = uuid7()
                _, secret = new_link(
                    session, user_id=user.id, tenant_id=user.tenant_id, family_id=family, now=now, ttl=self.refresh_ttl
                )
                record(session, "auth.login", target_kind="user", target_id=user.id, tenant_id=user.tenant_id)
                await session.flush()
        return await self._issue(user, secret, family)

    async def refresh(self, secret: str, ip: str | None) -> IssuedSession:
        found = await find_refresh_token(self.db, hash_secret(secret))
        if found is None:
            raise invalid_refresh()
        now = self.clock.now()
        reused = False
        async with self.db.unit_of_work() as session:
            await enter(session, found.tenant_id)
            chains = SessionsRepository(session)
            link = await chains.link(found.id, lock=True)
            user = await chains.user(link.user_id)
            with acting_as(user_actor(user, ip)):
                if link.revoked_at is not None or link.expires_at <= now:
                    raise invalid_refresh()
                if link.used_at is not None:
                    # Used before: a copy leaked. End the whole session, for the thief and the owner.
                    await revoke_family(session, link.family_id, now, "reuse")
                    record(
                        session,
                        "auth.refresh_token_reused",
                        target_kind="user",
                        target_id=user.id,
                        tenant_id=user.tenant_id,
                        changes={"session": link.family_id},
                    )
                    reused = True
                elif user.disabled_at is not None:
                    await revoke_family(session, link.family_id, now, "user disabled")
                    reused = True
                else:
                    link.used_at = now
                    _, next_secret = new_link(
                        session,
                        user_id=user.id,
                        tenant_id=user.tenant_id,
                        family_id=link.family_id,
                        now=now,
                        ttl=self.refresh_ttl,
                    )
        if reused:  # committed above; now refuse
            raise invalid_refresh()
        return await self._issue(user, next_secret, link.family_id)


async def logout(session: AsyncSession, clock: Clock, *, principal: Principal) -> None:
    """End the caller's session (its refresh tokens stop working at once)."""
    if principal.session_id is not None:
        await revoke_family(session, principal.session_id, clock.now(), "logout")
    record(session, "auth.logout", target_kind="user", target_id=principal.id, tenant_id=principal.tenant_id)


async def logout_everywhere(session: AsyncSession, clock: Clock, *, principal: Principal) -> int:
    """End every session of the calling user; how many there were."""
    count = await revoke_user_sessions(session, principal.id, clock.now(), "logout everywhere")
    record(
        session,
        "auth.logout_everywhere",
        target_kind="user",
        target_id=principal.id,
        tenant_id=principal.tenant_id,
        changes={"sessions_ended": count},
    )
    return count
