"""The one clock. Every timestamp and deadline is computed from `Clock.now()`.

Tests swap in a `FrozenClock` and move it; the embedded development mode may run with an offset
(`OffsetClock`) so a demo can show a deadline firing without waiting for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

UTC = dt.UTC
TOKYO = ZoneInfo("Asia/Tokyo")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class OffsetClock:
    """The system time moved by a fixed offset (development demos only)."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + self.offset


class FrozenClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, at: dt.datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


def local_today(clock: Clock, time_zone: str) -> dt.date:
    """Today's date in the given IANA time zone (a tenant's, usually Asia/Tokyo)."""
    return clock.now().astimezone(ZoneInfo(time_zone)).date()
