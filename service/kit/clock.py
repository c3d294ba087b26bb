"""The one clock. Every timestamp and deadline is computed from `Clock.now()`.

Tests swap in a `FrozenClock` and move it; the embedded development mode may run with an offset
(`OffsetClock`) so a demo can show a deadline firing without waiting for it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from service.config import Settings

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


def clock_for(settings: Settings, *, embedded: bool) -> Clock:
    """The clock a process runs on. CLOCK_OFFSET moves it, for demos of deadlines firing, and only
    the embedded development server (no DATABASE_URL, not production) accepts it."""
    from service.config import ConfigError

    if settings.clock_offset is None:
        return SystemClock()
    if not embedded or settings.environment == "production":
        raise ConfigError("CLOCK_OFFSET is only for the embedded development server (`make run` without DATABASE_URL)")
    return OffsetClock(settings.clock_offset)
