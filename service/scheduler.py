"""The scheduler: sweeps due deadlines into the outbox, relays the outbox, keeps tables tidy.

Any number may run (several hosts, for availability). The sweep and the relay claim rows with
SKIP LOCKED, so they never double a deadline or a message; on top of that a PostgreSQL advisory
lock elects one leader to sweep and tidy, while every scheduler relays.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.queue import Relay

log = logging.getLogger("koshiki.scheduler")
LEADER_LOCK = 0x6B73636864  # "kschd"


@dataclass
class Tick:
    leader: bool
    swept: int
    relayed: int


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        relay: Relay,
        *,
        interval: float = 5.0,
        batch: int = 1000,
        stale_after: dt.timedelta = dt.timedelta(minutes=10),
        outbox_retention: dt.timedelta = dt.timedelta(days=7),
    ) -> None:
        self.db = db
        self.clock = clock
        self.relay = relay
        self.interval = interval
        self.batch = batch
        self.stale_after = stale_after
        self.outbox_retention = outbox_retention
        self._leader_conn: AsyncConnection | None = None
        self._last_tidy = 0.0

    async def _lead(self) -> bool:
        """Hold (or try to take) the leader lock on a connection of its own."""
        try:
            if self._leader_conn is not None:
                await self._leader_conn.execute(text("SELECT 1"))
                return True
            # Autocommit: the lock belongs to the session, so the connection need not (and must not)
            # sit "idle in transaction", which idle_in_transaction_session_timeout would end.
            conn = await (await self.db.engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
            taken = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK})
            if taken:
                self._leader_conn = conn
                log.info("scheduler is the leader")
                return True
            await conn.close()
        except Exception:  # the connection died: someone else may lead now
            await self.resign()
        return False

    async def resign(self) -> None:
        if self._leader_conn is not None:
            conn, self._leader_conn = self._leader_conn, None
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LEADER_LOCK})
                await conn.close()
            except Exception:
                await conn.invalidate()

    async def sweep(self) -> int:
        """Claim every due deadline into the outbox, batch by batch."""
        total = 0
        while True:
            now = self.clock.now()
            async with self.db.engine.begin() as conn:
                claimed = int(
                    await conn.scalar(
                        text("SELECT koshiki_sweep_deadlines(:now, :limit, :stale)"),
                        {"now": now, "limit": self.batch, "stale": now - self.stale_after},
                    )
                    or 0
                )
            total += claimed
            if claimed < self.batch:
                return total

    async def tidy(self) -> None:
        async with self.db.engine.begin() as conn:
            await conn.execute(
                text("SELECT koshiki_outbox_purge(:before)"), {"before": self.clock.now() - self.outbox_retention}
            )
            # Idempotency-Key replies past their 24 hours, in every tenant.
            await conn.execute(text("SELECT koshiki_idempotency_purge(:now)"), {"now": self.clock.now()})

    async def tick(self) -> Tick:
        leader = await self._lead()
        swept = await self.sweep() if leader else 0
        relayed = (await self.relay.drain()).sent
        if leader and asyncio.get_running_loop().time() - self._last_tidy > 3600:
            self._last_tidy = asyncio.get_running_loop().time()
            await self.tidy()
        if swept or relayed:
            log.info("scheduler tick", extra={"swept": swept, "relayed": relayed, "leader": leader})
        return Tick(leader, swept, relayed)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("scheduler tick failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.interval)
        finally:
            await self.resign()
