"""The deadline kind the backbone benchmark schedules: it does nothing, so what is measured is the
machinery (claim, relay, deliver, re-read, mark done)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.kit.registry import Registry


async def _noop(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    return None


class BenchDeadline(StrEnum):
    NOOP = "bench.noop"


def register(registry: Registry) -> None:
    registry.deadline_kinds(BenchDeadline, {BenchDeadline.NOOP: _noop})
