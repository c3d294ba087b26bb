"""Brute-force protection: login attempts counted per account and per client address.

The counters live in PostgreSQL, so the limit holds however many API processes there are. An
attempt is counted, and decided, in one atomic step before the password is checked, so parallel
guesses cannot outrun the limit; a successful one is taken back. Once the name typed resolves to a
user, the account is the user (their login ID and their e-mail count as one); a name that finds
nobody is counted under the name itself, so a lock-out reveals nothing about which accounts exist.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

from service.config import Settings
from service.identity.repository import ThrottleRepository
from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError


def account_key(user_id: uuid.UUID | None, name: str) -> str:
    return f"user:{user_id}" if user_id is not None else f"account:{name.strip().lower()}"


class LoginThrottle:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.counters = ThrottleRepository(db)
        self.clock = clock
        self.window = dt.timedelta(seconds=settings.login_window_seconds)
        self.lockout = dt.timedelta(seconds=settings.login_lockout_seconds)
        self.per_account, self.per_address = (
            settings.login_max_failures_per_account,
            settings.login_max_failures_per_address,
        )

    async def attempt(self, account: str, ip: str | None) -> None:
        """Count this attempt before the password is checked; 429 with Retry-After while the account
        or the address is locked, or once this attempt goes past a limit."""
        limits = {account: self.per_account, **({f"address:{ip}": self.per_address} if ip else {})}
        now = self.clock.now()
        until = await self.counters.attempt(limits, now, window=self.window, lockout=self.lockout)
        if until is not None:
            wait = max(1, math.ceil((until - now).total_seconds()))
            raise ProblemError(
                "too-many-requests",
                Msg("detail.login-locked", {"seconds": wait}),
                headers={"Retry-After": str(wait)},
                extensions={"retry_after": wait},
            )

    async def succeeded(self, account: str, ip: str | None) -> None:
        """The password was right: the account's count starts over; the address's attempt is taken back."""
        await self.counters.forget(account)
        if ip:
            await self.counters.refund(f"address:{ip}")
