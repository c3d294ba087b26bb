"""Sealing secrets the service must be able to read back (webhook secrets, signing keys) with
KOSHIKI_SECRET_KEY: AES-256-GCM, a fresh nonce each time, bound to what the secret belongs to."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        """Raises cryptography's InvalidTag when the blob was sealed under another key or context."""
        return self._aead.decrypt(blob[:12], blob[12:], context.encode())
