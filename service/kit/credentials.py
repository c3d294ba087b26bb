"""The shapes of bearer secrets, and how they are stored (only as SHA-256 hashes).

- API tokens: `koshiki_` + 40 base62 characters of randomness (~238 bits) + 6 base62 characters of
  CRC-32 over them. The checksum lets the API refuse a mistyped or truncated token without a
  database round trip, and lets secret scanners recognise a leaked one.
- Refresh tokens: `koshiki_rt_` + 43 url-safe characters (256 bits). Only /v1/auth/refresh takes them.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

API_TOKEN_PREFIX = "koshiki_"  # noqa: S105 - a prefix, not a secret
REFRESH_TOKEN_PREFIX = "koshiki_rt_"  # noqa: S105 - a prefix, not a secret

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY = 40
_CHECK = 6


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK)


def new_api_token() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY))
    return API_TOKEN_PREFIX + body + _checksum(body)


def api_token_checksum_ok(token: str) -> bool:
    if not token.startswith(API_TOKEN_PREFIX) or len(token) != len(API_TOKEN_PREFIX) + _BODY + _CHECK:
        return False
    body, check = token[len(API_TOKEN_PREFIX) : -_CHECK], token[-_CHECK:]
    return all(c in _ALPHABET for c in body) and secrets.compare_digest(_checksum(body), check)


def new_refresh_token() -> str:
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)


def display_prefix(token: str) -> str:
    """Enough of a token to recognise it in a list, far too little to use it."""
    return token[: len(API_TOKEN_PREFIX) + 4]
