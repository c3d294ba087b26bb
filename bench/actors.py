"""The deadline kind the backbone benchmark schedules: it does nothing, so what is measured is the
machinery (claim, relay, deliver, re-read, mark done)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.deadlines.service import handles


@handles("bench.noop")
async def _noop(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    return None
