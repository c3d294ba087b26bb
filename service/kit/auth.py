"""Who is calling, and what they may do.

The authentication middleware turns the `Authorization: Bearer …` header into a `Principal`
(or a 401). Guards check permissions from the matrix. Tenant access is checked by the
`tenant` dependency in `service.kit.tenancy`: a caller reaches only its own tenant, and a platform
operator any tenant it names.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import text

from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError
from service.kit.permissions import Role, effective_permissions

TOKEN_PREFIX = "koshiki_"  # noqa: S105 - a prefix, not a secret


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller."""

    kind: str  # "api_token" | "user" | "system"
    id: uuid.UUID
    role: Role
    tenant_id: uuid.UUID | None
    permissions: frozenset[str]
    label: str

    @property
    def is_platform(self) -> bool:
        return self.role is Role.PLATFORM_OPERATOR

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def unauthorized(key: str = "detail.unauthorized-invalid") -> ProblemError:
    return ProblemError("unauthorized", Msg(key), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    client = connection.scope.get("client")
    if not client:
        return None
    try:
        return str(ipaddress.ip_address(client[0]))
    except ValueError:
        return None


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Bearer tokens: `koshiki_…` API tokens (looked up by hash), later also access JWTs."""

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
        if credential.startswith(TOKEN_PREFIX):
            principal = await authenticate_api_token(
                connection.app.state.db, connection.app.state.clock, credential, client_ip(connection)
            )
            return AuthenticationResult(user=principal, auth=credential)
        raise unauthorized()


async def authenticate_api_token(db: Database, clock: Clock, secret: str, ip: str | None) -> Principal:
    # Reject malformed or mistyped tokens without a database round trip.
    from service.tokens.service import checksum_ok

    if not checksum_ok(secret):
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
    role = Role(row.role)
    return Principal(
        kind="api_token",
        id=row.id,
        role=role,
        tenant_id=row.tenant_id,
        permissions=effective_permissions(role, frozenset(row.scopes)),
        label=f"token:{row.name}",
    )


def requires(permission: str) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard: the caller must hold `permission` (from the matrix, narrowed by token scopes)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = connection.user
        if not isinstance(principal, Principal) or not principal.can(permission):
            raise ProblemError(
                "forbidden",
                Msg("detail.forbidden", {"permission": permission}),
                extensions={"required_permission": permission},
            )

    guard.__name__ = f"requires_{permission.replace(':', '_')}"
    return guard


def platform_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    principal = connection.user
    if not isinstance(principal, Principal) or not principal.is_platform:
        raise ProblemError("forbidden", Msg("detail.forbidden", {"permission": "platform"}))
