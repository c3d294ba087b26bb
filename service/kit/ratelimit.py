"""A per-address request budget for the endpoints anyone may call without a login.

Fixed one-minute windows counted in this process: O(1) per request and bounded memory, which is
what a public lookup needs to make enumeration slow without costing the honest caller anything.
With several API processes each keeps its own count, so the budget an address really gets is the
limit times the processes behind the balancer (README: Scaling out). IPv6 addresses are counted
per /64, the block one subscriber is normally given.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections.abc import Callable
from typing import Any

from litestar import Request

from service.kit.auth import client_ip
from service.kit.errors import Msg, ProblemError

WINDOW_SECONDS = 60
# Past this many addresses in one window, new ones share a single budget rather than grow memory.
MAX_TRACKED = 100_000


class RateLimiter:
    def __init__(self, per_window: int, now: Callable[[], float] = time.monotonic) -> None:
        self.per_window = per_window
        self._now = now
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, key: str) -> int | None:
        """Count one request for `key`; the seconds to wait when it is over budget, else None."""
        now = self._now()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, {}
        if key not in self._counts and len(self._counts) >= MAX_TRACKED:
            key = "overflow"
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count <= self.per_window:
            return None
        return max(1, WINDOW_SECONDS - int(now % WINDOW_SECONDS))


@functools.lru_cache(maxsize=4096)
def _budget_key(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


async def public_rate_limit(request: Request[Any, Any, Any]) -> None:
    """Before every public request: 429 with Retry-After once an address spends its budget.
    (A `before_request` hook rather than a guard: Litestar copies the handler for each guard.)"""
    limiter: RateLimiter = request.app.state.public_limiter
    address = client_ip(request)
    wait = limiter.hit(_budget_key(address) if address else "unknown")
    if wait is not None:
        raise ProblemError(
            "too-many-requests",
            Msg("detail.public-rate-limited", {"seconds": wait}),
            headers={"Retry-After": str(wait)},
        )
