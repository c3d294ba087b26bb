"""Who is calling, and what they may do.

The authentication middleware turns `Authorization: Bearer …` into a `Principal`, or a 401:
`koshiki_…` API tokens are looked up by hash (one SECURITY DEFINER call), anything else must be
an access JWT this service signed. What the caller may do is decided by the request's one access
object (`service.kit.access`).
"""

from __future__ import annotations

import functools
import ipaddress
import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import Receive, Scope, Send
from sqlalchemy import text

from service.kit.actor import Actor, reset_actor, set_actor
from service.kit.clock import Clock
from service.kit.credentials import API_TOKEN_PREFIX, api_token_checksum_ok, hash_secret
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError
from service.kit.jwt import InvalidToken, KeyRing
from service.kit.permissions import Permission, Role, effective_permissions

# Paths a user who must change their password may still use.
PASSWORD_CHANGE_PATHS = frozenset({"/v1/me", "/v1/me/password", "/v1/auth/logout", "/v1/auth/logout-all"})


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller."""

    kind: str  # "api_token" | "user"
    id: uuid.UUID
    roles: frozenset[Role]
    tenant_id: uuid.UUID | None
    permissions: frozenset[Permission]
    label: str
    unit_id: uuid.UUID | None = None  # the unit a staff member belongs to (and heads, for a unit head)
    session_id: uuid.UUID | None = None  # the refresh-token family of a logged-in user
    password_change_required: bool = False

    @property
    def is_platform(self) -> bool:
        return Role.PLATFORM_OPERATOR in self.roles

    def actor(self, client_ip: str | None) -> Actor:
        return Actor(self.kind, self.id, self.label, client_ip)


def unauthorized(key: str = "detail.unauthorized-invalid") -> ProblemError:
    return ProblemError("unauthorized", Msg(key), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    client = connection.scope.get("client")
    return _normalised_address(client[0]) if client else None


@functools.lru_cache(maxsize=4096)
def _normalised_address(host: str) -> str | None:
    """The address in its canonical spelling (None for a non-address), remembered: every request
    needs it and the same few clients come back."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The actor lives exactly as long as the request.
        token = set_actor(None)
        try:
            await super().__call__(scope, receive, send)
        finally:
            reset_actor(token)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            raise ProblemError(
                "unauthorized", Msg("detail.unauthorized-missing"), headers={"WWW-Authenticate": "Bearer"}
            )
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise unauthorized("detail.unauthorized-missing")
        state = connection.app.state
        ip = client_ip(connection)
        if credential.startswith(API_TOKEN_PREFIX):
            principal = await authenticate_api_token(state.db, state.clock, credential, ip)
        else:
            principal = await authenticate_access_token(state.keyring, credential)
            if principal.password_change_required and connection.scope["path"] not in PASSWORD_CHANGE_PATHS:
                raise ProblemError(
                    "forbidden",
                    Msg("detail.password-change-required"),
                    extensions={"reason": "password-change-required"},
                )
        set_actor(principal.actor(ip))
        return AuthenticationResult(user=principal, auth=credential)


async def authenticate_api_token(db: Database, clock: Clock, secret: str, ip: str | None) -> Principal:
    if not api_token_checksum_ok(secret):  # a typo or a forgery: no database round trip
        raise unauthorized()
    now = clock.now()
    async with db.engine.begin() as conn:
        row = (
            await conn.execute(
                text("SELECT * FROM koshiki_authenticate_token(:hash, CAST(:ip AS inet), :now)"),
                {"hash": hash_secret(secret), "ip": ip, "now": now},
            )
        ).one_or_none()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise unauthorized()
    roles = frozenset({Role(row.role)})
    return Principal(
        kind="api_token",
        id=row.id,
        roles=roles,
        tenant_id=row.tenant_id,
        permissions=effective_permissions(roles, frozenset(row.scopes)),
        label=f"token:{row.name}",
    )


async def authenticate_access_token(keyring: KeyRing, token: str) -> Principal:
    try:
        claims = await keyring.verify(token)
        roles = frozenset(Role(r) for r in claims.get("roles", []))
        tenant = claims.get("tid")
        unit = claims.get("uid")
        session = claims.get("sid")
        return Principal(
            kind="user",
            id=uuid.UUID(claims["sub"]),
            roles=roles,
            tenant_id=uuid.UUID(tenant) if tenant else None,
            permissions=effective_permissions(roles, None),
            label=f"user:{claims.get('name', claims['sub'])}",
            unit_id=uuid.UUID(unit) if unit else None,
            session_id=uuid.UUID(session) if session else None,
            password_change_required=bool(claims.get("pcr", False)),
        )
    except (InvalidToken, ValueError, KeyError, TypeError) as exc:
        raise unauthorized() from exc
