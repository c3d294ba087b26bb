"""Access tokens: short-lived EdDSA (Ed25519) JWTs, and the keys that sign them.

Keys live in PostgreSQL so every API process signs and verifies with the same ones; the private
half is encrypted with KOSHIKI_SECRET_KEY (AES-GCM). Each process caches the keys and reloads
them every minute, or at once when a token names a key it has not seen. Rotation (`koshiki keys
rotate`) makes a new signing key and retires the old one, which stays published in the JWKS (and
accepted) until every token it signed has expired.

Verification pins the algorithm, needs `kid`, and requires and checks `iss`, `aud`, `exp`, `iat`,
`sub` and `typ`; a token signed any other way (alg "none", HS256 with the public key…) fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import text

from service.kit.clock import Clock
from service.kit.db import Database

ALGORITHM = "EdDSA"
HEADER_TYP = "at+jwt"  # RFC 9068
CLAIM_TYP = "access"
LEEWAY = 30  # seconds of clock skew tolerated between processes
RELOAD_EVERY = 60.0
VERIFIED_CACHE_SIZE = 4096  # tokens remembered as verified, per process (about 3 MB at most)
_LOCK_KEY = 0x6A776B73  # "jwks": serialises key creation across processes


class InvalidToken(Exception):
    """The token is not one this service issued, or no longer valid."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None  # None when it cannot be decrypted with this process's secret
    created_at: dt.datetime
    retired_at: dt.datetime | None

    def jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(self.public))
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


class KeyRing:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        secret: bytes,
        *,
        issuer: str,
        audience: str,
        access_ttl: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self._aead = AESGCM(secret)
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = 0.0
        self._verified: dict[str, tuple[str, dict[str, Any]]] = {}
        self._lock = asyncio.Lock()

    # ---- storage --------------------------------------------------------------------------------

    def _encrypt(self, key: Ed25519PrivateKey, kid: str) -> bytes:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, raw, kid.encode())

    def _decrypt(self, blob: bytes, kid: str) -> Ed25519PrivateKey | None:
        try:
            raw = self._aead.decrypt(blob[:12], blob[12:], kid.encode())
        except Exception:  # encrypted under another secret: usable for verification only
            return None
        return Ed25519PrivateKey.from_private_bytes(raw)

    def _publication_cutoff(self) -> dt.datetime:
        # A retired key stays published while tokens it signed may still be valid.
        return self.clock.now() - dt.timedelta(seconds=self.access_ttl + LEEWAY)

    async def load(self) -> None:
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT kid, public_jwk, private_key_encrypted, created_at, retired_at FROM signing_keys "
                        "WHERE retired_at IS NULL OR retired_at > :cutoff ORDER BY created_at"
                    ),
                    {"cutoff": self._publication_cutoff()},
                )
            ).all()
        keys = {}
        for row in rows:
            public = OKPAlgorithm.from_jwk(json.dumps(row.public_jwk))
            assert isinstance(public, Ed25519PublicKey)
            keys[row.kid] = SigningKey(
                row.kid,
                public,
                self._decrypt(bytes(row.private_key_encrypted), row.kid),
                row.created_at,
                row.retired_at,
            )
        self._keys = keys
        self._loaded_at = time.monotonic()

    async def _fresh(self, force: bool = False) -> dict[str, SigningKey]:
        if force or time.monotonic() - self._loaded_at > RELOAD_EVERY:
            async with self._lock:
                if force or time.monotonic() - self._loaded_at > RELOAD_EVERY:
                    await self.load()
        return self._keys

    async def create_key(self, *, retire_others: bool) -> str:
        """A new signing key (and, for a rotation, the retirement of the current ones)."""
        private = Ed25519PrivateKey.generate()
        kid = f"{self.clock.now():%Y%m%d}-{uuid.uuid4().hex[:8]}"
        jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
        async with self.db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if not retire_others:
                existing = await conn.scalar(text("SELECT kid FROM signing_keys WHERE retired_at IS NULL LIMIT 1"))
                if existing:  # another process made one meanwhile
                    return str(existing)
            else:
                await conn.execute(
                    text("UPDATE signing_keys SET retired_at = :now WHERE retired_at IS NULL"),
                    {"now": self.clock.now()},
                )
            await conn.execute(
                text(
                    "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted, created_at) "
                    "VALUES (:kid, :alg, CAST(:jwk AS jsonb), :blob, :now)"
                ),
                {
                    "kid": kid,
                    "alg": ALGORITHM,
                    "jwk": json.dumps(jwk),
                    "blob": self._encrypt(private, kid),
                    "now": self.clock.now(),
                },
            )
        await self.load()
        return kid

    async def ensure_signing_key(self) -> None:
        """At start-up: a key to sign with, so the JWKS is never empty on a fresh server."""
        await self._signing_key()

    async def rotate(self) -> str:
        return await self.create_key(retire_others=True)

    async def _signing_key(self) -> SigningKey:
        for attempt in range(2):
            keys = await self._fresh(force=attempt > 0)
            usable = [k for k in keys.values() if k.retired_at is None and k.private is not None]
            if usable:
                return max(usable, key=lambda k: k.created_at)
            await self.create_key(retire_others=any(k.retired_at is None for k in keys.values()))
        raise RuntimeError("no usable signing key")

    # ---- tokens ---------------------------------------------------------------------------------

    async def issue(self, subject: uuid.UUID, claims: dict[str, Any]) -> tuple[str, int]:
        key = await self._signing_key()
        assert key.private is not None
        now = int(self.clock.now().timestamp())
        payload = {
            **claims,
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(subject),
            "iat": now,
            "nbf": now,
            "exp": now + self.access_ttl,
            "typ": CLAIM_TYP,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(payload, key.private, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": HEADER_TYP})
        return token, self.access_ttl

    async def verify(self, token: str) -> dict[str, Any]:
        cached = self._verified.get(token)
        if cached is not None and cached[0] in await self._fresh():
            # Verified before (a front end sends one token many times): its signature cannot have
            # changed, so only what can change is checked again, its lifetime and its key.
            return self._in_lifetime(cached[1])
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed") from exc
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or header.get("typ") != HEADER_TYP or not isinstance(kid, str):
            raise InvalidToken("wrong header")
        keys = await self._fresh()
        if kid not in keys:
            keys = await self._fresh(force=True)  # a key made by another process moments ago
        key = keys.get(kid)
        if key is None:
            raise InvalidToken("unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.public,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                # Times are checked below against the service's one clock, not the system's.
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub", "typ"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if not isinstance(claims["exp"], int | float) or not isinstance(claims["iat"], int | float):
            raise InvalidToken("non-numeric times")
        if claims.get("typ") != CLAIM_TYP:
            raise InvalidToken("not an access token")
        self._in_lifetime(claims)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[token] = (kid, claims)
        return claims

    def _in_lifetime(self, claims: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now().timestamp()
        iat = claims["iat"]
        if claims["exp"] + LEEWAY < now or iat - LEEWAY > now or claims.get("nbf", iat) - LEEWAY > now:
            raise InvalidToken("outside its lifetime")
        return claims

    async def jwks(self) -> dict[str, Any]:
        keys = await self._fresh()
        cutoff = self._publication_cutoff()
        return {"keys": [k.jwk() for k in keys.values() if k.retired_at is None or k.retired_at > cutoff]}
