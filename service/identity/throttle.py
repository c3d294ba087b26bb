"""Brute-force protection: failed logins counted per account name and per client address.

The counters live in PostgreSQL, so the limit holds however many API processes there are. The
account key is the name typed, whether or not such an account exists, so a lock-out reveals
nothing about which accounts exist. Each check and update is its own short transaction: a failed
login must be counted even though the request itself fails.
"""

from __future__ import annotations

import datetime as dt
import math

from service.config import Settings
from service.identity.repository import ThrottleRepository
from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError


def keys(login: str, ip: str | None) -> dict[str, int]:
    """The throttle keys for an attempt, each with the index of its limit (account, address)."""
    return {f"account:{login.strip().lower()}": 0, **({f"address:{ip}": 1} if ip else {})}


class LoginThrottle:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.counters = ThrottleRepository(db)
        self.clock = clock
        self.window = dt.timedelta(seconds=settings.login_window_seconds)
        self.lockout = dt.timedelta(seconds=settings.login_lockout_seconds)
        self.limits = (settings.login_max_failures_per_account, settings.login_max_failures_per_address)

    async def check(self, login: str, ip: str | None) -> None:
        """429 with Retry-After while the account name or the address is locked."""
        now = self.clock.now()
        until = await self.counters.locked_until(list(keys(login, ip)), now)
        if until is not None:
            wait = max(1, math.ceil((until - now).total_seconds()))
            raise ProblemError(
                "too-many-requests",
                Msg("detail.login-locked", {"seconds": wait}),
                headers={"Retry-After": str(wait)},
                extensions={"retry_after": wait},
            )

    async def failed(self, login: str, ip: str | None) -> None:
        limits = {key: self.limits[which] for key, which in keys(login, ip).items()}
        await self.counters.count_failures(limits, self.clock.now(), window=self.window, lockout=self.lockout)

    async def succeeded(self, login: str) -> None:
        await self.counters.clear(next(iter(keys(login, None))))
