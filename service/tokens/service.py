"""API tokens: random, prefixed `koshiki_`, with a checksum, stored only as a SHA-256 hash.

Format: `koshiki_` + 40 base62 characters of randomness (~238 bits) + 6 base62 characters of
CRC-32 over them. The checksum lets the API reject a mistyped or truncated token without a
database round trip, and lets secret scanners recognise a leaked one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
import zlib

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import TOKEN_PREFIX, hash_secret
from service.kit.clock import Clock
from service.kit.errors import conflict
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.tokens.models import ApiToken
from service.tokens.repository import TokensRepository

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY = 40
_CHECK = 6


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK)


def new_secret() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    return TOKEN_PREFIX + body + _checksum(body)


def checksum_ok(token: str) -> bool:
    if not token.startswith(TOKEN_PREFIX) or len(token) != len(TOKEN_PREFIX) + _BODY + _CHECK:
        return False
    body, check = token[len(TOKEN_PREFIX) : -_CHECK], token[-_CHECK:]
    return all(c in _ALPHABET for c in body) and secrets.compare_digest(_checksum(body), check)


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
    secret = new_secret()
    token = TokensRepository(session, tenant_id).add(
        ApiToken(
            id=uuid7(),
            tenant_id=tenant_id,
            role=role.value,
            name=name,
            description=description,
            token_prefix=secret[: len(TOKEN_PREFIX) + 4],
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
