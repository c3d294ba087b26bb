"""Staff passwords: argon2id hashes, and the policy new passwords must meet.

Hashing is CPU-bound (about 0.1 s with the defaults), so it runs in a worker thread rather than
on the event loop. Parameters come from the settings; when they rise, a successful login
re-hashes the password with the new ones.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from service.config import Settings
from service.kit.errors import FieldError, Msg

MIN_LENGTH = 12
MAX_LENGTH = 128

# The commonest choices; anything here (or merely a repeated character) is refused.
_COMMON = frozenset(
    [
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "qwerty",
        "qwerty123",
        "qwertyuiop",
        "123456789012",
        "123456789",
        "1234567890",
        "12345678",
        "111111111111",
        "000000000000",
        "abc123",
        "abcdefghijkl",
        "iloveyou",
        "letmein",
        "welcome",
        "welcome123",
        "admin",
        "admin123",
        "administrator",
        "changeme",
        "changeme123",
        "secret",
        "trustno1",
        "football",
        "baseball",
        "dragon",
        "monkey",
        "sunshine",
        "princess",
        "superman",
        "batman",
        "master",
        "shadow",
        "koshiki",
        "koshiki123",
        "tokyo",
        "japan",
        "nippon",
        "sakura",
        "pokemon",
        "doraemon",
        "kyoto",
        "osaka",
        "ehime",
        "hokkaido",
        "oyama",
        "ageo",
        "mine",
    ]
)


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )

    @functools.cached_property
    def _dummy(self) -> str:
        return self._hasher.hash("an unguessable placeholder")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Constant work whether or not the account exists: an unknown login checks a dummy hash."""
        target = stored or self._dummy

        def check() -> bool:
            try:
                return self._hasher.verify(target, password)
            except (VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(check)
        return ok and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def is_common(password: str) -> bool:
    """On the list of the most used passwords, perhaps with digits or a "!" added."""
    lowered = password.lower()
    return lowered in _COMMON or lowered.rstrip("0123456789!") in _COMMON


def is_repetitive(password: str) -> bool:
    return len(set(password)) < 5


def policy_errors(password: str, *, login_id: str, email: str, pointer: str = "/new_password") -> list[FieldError]:
    """Why a staff password is refused (empty when it is acceptable). Length matters most (NIST SP
    800-63B); no composition rules, but nothing common, repetitive or made of the user's own names."""
    errors: list[FieldError] = []

    def refuse(key: str, code: str, **params: object) -> None:
        errors.append(FieldError(Msg(key, params), code, pointer))

    if len(password) < MIN_LENGTH:
        refuse("password.too-short", "too_short", limit=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        refuse("password.too-long", "too_long", limit=MAX_LENGTH)
    if is_common(password):
        refuse("password.common", "common")
    if is_repetitive(password):
        refuse("password.repetitive", "repetitive")
    lowered = password.lower()
    names = {login_id.lower(), email.lower(), email.split("@")[0].lower()}
    if any(len(name) >= 3 and name in lowered for name in names):
        refuse("password.contains-name", "contains_name")
    return errors
