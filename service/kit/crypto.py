"""Sealing secrets the service must be able to read back (webhook secrets, signing keys) with
KOSHIKI_SECRET_KEY: AES-256-GCM, a fresh nonce each time, bound to what the secret belongs to.

Other uses of KOSHIKI_SECRET_KEY (the MACs that vouch for signing keys) take keys derived from it
with HKDF, one per purpose, so no key serves two purposes."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        """Raises cryptography's InvalidTag when the blob was sealed under another key or context."""
        return self._aead.decrypt(blob[:12], blob[12:], context.encode())


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for one purpose, derived from KOSHIKI_SECRET_KEY (HKDF-SHA256, RFC 5869).

    Distinct from the secret itself (which seals) and from every other purpose's key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"koshiki/{purpose}".encode()).derive(secret)


class Mac:
    """HMAC-SHA256 over a sequence of fields, each length-prefixed so no two sequences collide."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, *fields: bytes) -> bytes:
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        for part in fields:
            mac.update(len(part).to_bytes(4, "big"))
            mac.update(part)
        return mac.digest()

    def verify(self, tag: bytes | None, *fields: bytes) -> bool:
        return tag is not None and hmac.compare_digest(tag, self.sign(*fields))
