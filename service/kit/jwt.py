"""Access tokens: short-lived EdDSA (Ed25519) JWTs, and the keys that sign them.

Keys live in PostgreSQL so every API process signs and verifies with the same ones; the private
half is encrypted with KOSHIKI_SECRET_KEY (AES-GCM). Each process caches the keys and reloads
them every minute, or at once when a token names a key it has not seen. Rotation (`koshiki keys
rotate`) makes a new signing key and retires the old one, which stays published in the JWKS (and
accepted) until every token it signed has expired.

The application role only reads `signing_keys`: keys are written through definer functions
(`koshiki_add_signing_key`, `koshiki_retire_signing_keys`, `koshiki_vouch_signing_key`), and each
row carries a MAC (HMAC-SHA256 under a key derived from KOSHIKI_SECRET_KEY) over its kid,
algorithm, public JWK and creation time. A row whose MAC is missing or wrong is ignored (and
logged once): whoever can write the table but lacks the secret cannot add a key that verifies.
A row from before MACs is vouched for (given its MAC) when its sealed private half opens under
the secret and matches its public half, which only the secret's holder can have made.

Verification pins the algorithm, needs `kid`, and requires and checks `iss`, `aud`, `exp`, `iat`,
`sub` and `typ`; a token signed any other way (alg "none", HS256 with the public key…) fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.kit.clock import Clock
from service.kit.crypto import Mac, Sealer, derive_key
from service.kit.db import Database

log = logging.getLogger("koshiki.jwt")

ALGORITHM = "EdDSA"
HEADER_TYP = "at+jwt"  # RFC 9068
CLAIM_TYP = "access"
LEEWAY = 30  # seconds of clock skew tolerated between processes
RELOAD_EVERY = 60.0
VERIFIED_CACHE_SIZE = 4096  # tokens remembered as verified, per process (about 3 MB at most)
MAC_PURPOSE = "signing-key-mac/v1"  # the MAC key's HKDF label: never the key that seals
_LOCK_KEY = 0x6A776B73  # "jwks": serialises key creation across processes
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_COLUMNS = "SELECT kid, algorithm, public_jwk, private_key_encrypted, created_at, retired_at, mac FROM signing_keys"
_PUBLISHED = text(_COLUMNS + " WHERE retired_at IS NULL OR retired_at > :cutoff ORDER BY created_at")
_CURRENT = text(_COLUMNS + " WHERE retired_at IS NULL ORDER BY created_at")


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


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def mac_fields(kid: str, algorithm: str, public_jwk: dict[str, Any], created_at: dt.datetime) -> tuple[bytes, ...]:
    """What a key row's MAC covers: its kid, algorithm, public JWK (canonical JSON, as jsonb gives
    it back) and creation time (microseconds since the epoch, PostgreSQL's precision)."""
    canonical = json.dumps(public_jwk, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    micros = (created_at - _EPOCH) // dt.timedelta(microseconds=1)
    return kid.encode(), algorithm.encode(), canonical.encode(), str(micros).encode()


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
        self._sealer = Sealer(secret)
        self._mac = Mac(derive_key(secret, MAC_PURPOSE))
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = 0.0
        self._verified: dict[str, tuple[str, dict[str, Any]]] = {}
        self._distrusted: set[str] = set()  # kids already logged as ignored
        self._lock = asyncio.Lock()

    # ---- storage --------------------------------------------------------------------------------

    def _encrypt(self, key: Ed25519PrivateKey, kid: str) -> bytes:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return self._sealer.seal(raw, kid)

    def _decrypt(self, blob: bytes, kid: str) -> Ed25519PrivateKey | None:
        try:
            raw = self._sealer.open(blob, kid)
        except Exception:  # encrypted under another secret (or not by this service at all)
            return None
        return Ed25519PrivateKey.from_private_bytes(raw)

    def _publication_cutoff(self) -> dt.datetime:
        # A retired key stays published while tokens it signed may still be valid.
        return self.clock.now() - dt.timedelta(seconds=self.access_ttl + LEEWAY)

    def _distrust(self, kid: str, reason: str) -> None:
        if kid not in self._distrusted:
            self._distrusted.add(kid)
            log.warning("signing key ignored", extra={"kid": kid, "reason": reason})

    def _from_row(self, row: Row[Any]) -> tuple[SigningKey, bytes | None] | None:
        """The row as a key if this service made it, and the MAC to vouch for it with when it is
        one from before MACs; None (logged once) when it is not to be trusted."""
        if row.algorithm != ALGORITHM or not isinstance(row.public_jwk, dict):
            self._distrust(row.kid, "not an EdDSA key")
            return None
        try:
            public = OKPAlgorithm.from_jwk(json.dumps(row.public_jwk))
        except Exception:
            public = None
        if not isinstance(public, Ed25519PublicKey):
            self._distrust(row.kid, "not an Ed25519 public key")
            return None
        fields = mac_fields(row.kid, row.algorithm, row.public_jwk, row.created_at)
        private = self._decrypt(bytes(row.private_key_encrypted), row.kid)
        vouch = None
        if row.mac is not None:
            if not self._mac.verify(bytes(row.mac), *fields):
                self._distrust(row.kid, "wrong MAC")
                return None
        elif private is not None and _raw(private.public_key()) == _raw(public):
            vouch = self._mac.sign(*fields)  # sealed under this secret: made by this service
        else:
            self._distrust(row.kid, "no MAC")
            return None
        return SigningKey(row.kid, public, private, row.created_at, row.retired_at), vouch

    async def _rows(self, conn: AsyncConnection, *, current_only: bool) -> list[Row[Any]]:
        if current_only:
            return list((await conn.execute(_CURRENT)).all())
        return list((await conn.execute(_PUBLISHED, {"cutoff": self._publication_cutoff()})).all())

    async def load(self) -> None:
        async with self.db.engine.connect() as conn:
            rows = await self._rows(conn, current_only=False)
        keys: dict[str, SigningKey] = {}
        vouches: dict[str, bytes] = {}
        for row in rows:
            trusted = self._from_row(row)
            if trusted is not None:
                keys[row.kid] = trusted[0]
                if trusted[1] is not None:
                    vouches[row.kid] = trusted[1]
        if vouches:
            async with self.db.engine.begin() as conn:
                for kid, mac in vouches.items():
                    await conn.execute(text("SELECT koshiki_vouch_signing_key(:kid, :mac)"), {"kid": kid, "mac": mac})
            log.info("signing keys from before MACs vouched for", extra={"kids": sorted(vouches)})
        self._keys = keys
        self._loaded_at = time.monotonic()

    async def _fresh(self, force: bool = False) -> dict[str, SigningKey]:
        if force or time.monotonic() - self._loaded_at > RELOAD_EVERY:
            async with self._lock:
                if force or time.monotonic() - self._loaded_at > RELOAD_EVERY:
                    await self.load()
        return self._keys

    async def create_key(self, *, retire_others: bool) -> str:
        """A new signing key, retiring the current ones. Without `retire_others` (no usable key was
        found), a usable key another process made meanwhile is taken instead."""
        now = self.clock.now()
        private = Ed25519PrivateKey.generate()
        kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        jwk = json.loads(OKPAlgorithm.to_jwk(private.public_key()))
        async with self.db.engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            if not retire_others:
                for row in reversed(await self._rows(conn, current_only=True)):
                    trusted = self._from_row(row)
                    if trusted is not None and trusted[0].private is not None:
                        return str(row.kid)
            # Current keys this process cannot sign with (or does not trust) are retired too.
            await conn.execute(text("SELECT koshiki_retire_signing_keys(:now)"), {"now": now})
            await conn.execute(
                text("SELECT koshiki_add_signing_key(:kid, :alg, CAST(:jwk AS jsonb), :blob, :now, :mac)"),
                {
                    "kid": kid,
                    "alg": ALGORITHM,
                    "jwk": json.dumps(jwk),
                    "blob": self._encrypt(private, kid),
                    "now": now,
                    "mac": self._mac.sign(*mac_fields(kid, ALGORITHM, jwk, now)),
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
            await self.create_key(retire_others=False)
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
        if kid not in keys and kid not in self._distrusted:
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
