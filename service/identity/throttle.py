"""Brute-force protection: failed logins counted per account name and per client address.

The counters live in PostgreSQL, so the limit holds however many API processes there are. The
account key is the name typed, whether or not such an account exists, so a lock-out reveals
nothing about which accounts exist. Each check and update is its own short transaction: a failed
login must be counted even though the request itself fails.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import text

from service.config import Settings
from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.errors import Msg, ProblemError


def keys(login: str, ip: str | None) -> dict[str, int]:
    """The throttle keys for an attempt, each with the index of its limit (account, address)."""
    return {f"account:{login.strip().lower()}": 0, **({f"address:{ip}": 1} if ip else {})}


class LoginThrottle:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.window = dt.timedelta(seconds=settings.login_window_seconds)
        self.lockout = dt.timedelta(seconds=settings.login_lockout_seconds)
        self.limits = (settings.login_max_failures_per_account, settings.login_max_failures_per_address)

    async def check(self, login: str, ip: str | None) -> None:
        """429 with Retry-After while the account name or the address is locked."""
        now = self.clock.now()
        async with self.db.engine.connect() as conn:
            until = await conn.scalar(
                text("SELECT max(locked_until) FROM login_throttle WHERE key = ANY(:keys) AND locked_until > :now"),
                {"keys": list(keys(login, ip)), "now": now},
            )
        if until is not None:
            wait = max(1, math.ceil((until - now).total_seconds()))
            raise ProblemError(
                "too-many-requests",
                Msg("detail.login-locked", {"seconds": wait}),
                headers={"Retry-After": str(wait)},
                extensions={"retry_after": wait},
            )

    async def failed(self, login: str, ip: str | None) -> None:
        now = self.clock.now()
        async with self.db.engine.begin() as conn:
            for key, which in keys(login, ip).items():
                await conn.execute(
                    text(
                        """
                        INSERT INTO login_throttle AS t (key, failures, window_started_at)
                        VALUES (:key, 1, :now)
                        ON CONFLICT (key) DO UPDATE SET
                          failures = CASE WHEN t.window_started_at <= :cutoff THEN 1 ELSE t.failures + 1 END,
                          window_started_at = CASE WHEN t.window_started_at <= :cutoff
                                                   THEN :now ELSE t.window_started_at END
                        """
                    ),
                    {"key": key, "now": now, "cutoff": now - self.window},
                )
                await conn.execute(
                    text(
                        "UPDATE login_throttle SET locked_until = :until, failures = 0, window_started_at = :now "
                        "WHERE key = :key AND failures >= :limit"
                    ),
                    {"key": key, "until": now + self.lockout, "now": now, "limit": self.limits[which]},
                )

    async def succeeded(self, login: str) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM login_throttle WHERE key = :key"), {"key": next(iter(keys(login, None)))}
            )
