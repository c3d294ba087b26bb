"""The scheduler: sweeps due deadlines into the outbox, relays the outbox, keeps tables tidy.

Any number may run (several hosts, for availability). The sweep and the relay claim rows with
SKIP LOCKED, so they never double a deadline or a message; on top of that a lease elects one
leader to sweep and tidy, while every scheduler relays.

The lease (`scheduler_leases`) is a row with an expiry in the database's own time. The leader
renews it on each tick and between sweep batches; a peer takes it once it has lapsed. A leader
that hangs (stopped, swapping, cut off) thus loses it within `lease` seconds, with no connection
or transaction held open in between. Should a stalled leader wake up and sweep once more beside
the new one, nothing doubles: the sweep itself claims rows with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import socket
from dataclasses import dataclass

from sqlalchemy import text

from service.config import Settings
from service.kit.clock import Clock
from service.kit.db import Database
from service.kit.queue import Relay

log = logging.getLogger("koshiki.scheduler")
LEASE = "sweep"


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
        lease: dt.timedelta = dt.timedelta(seconds=30),
        lease_name: str = LEASE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.relay = relay
        self.interval = interval
        self.batch = batch
        self.stale_after = stale_after
        self.outbox_retention = outbox_retention
        self.lease = max(lease, dt.timedelta(seconds=2 * interval))
        self.lease_name = lease_name
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.leading = False
        self._last_tidy = 0.0

    @classmethod
    def configured(cls, db: Database, clock: Clock, relay: Relay, settings: Settings) -> Scheduler:
        return cls(
            db,
            clock,
            relay,
            interval=settings.sweep_interval_seconds,
            lease=dt.timedelta(seconds=settings.scheduler_lease_seconds),
        )

    async def _lead(self) -> bool:
        """Take the lease if it is free or lapsed, renew it if it is ours; one short statement."""
        try:
            async with self.db.engine.begin() as conn:
                held = await conn.scalar(
                    text(
                        "INSERT INTO scheduler_leases AS l (name, holder, expires_at) "
                        "VALUES (:name, :holder, clock_timestamp() + :lease) "
                        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
                        "WHERE l.holder = excluded.holder OR l.expires_at < clock_timestamp() "
                        "RETURNING holder"
                    ),
                    {"name": self.lease_name, "holder": self.holder, "lease": self.lease},
                )
        except Exception:  # the database is out of reach: someone else may lead by the time it is back
            log.warning("scheduler could not renew its lease", exc_info=True)
            held = None
        if (held is not None) != self.leading:
            self.leading = held is not None
            log.info("scheduler %s the leader", "is" if self.leading else "is no longer", extra={"holder": self.holder})
        return self.leading

    async def resign(self) -> None:
        """Give the lease up at once (on shutdown), rather than let it lapse."""
        if not self.leading:
            return
        self.leading = False
        with contextlib.suppress(Exception):
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    text("DELETE FROM scheduler_leases WHERE name = :name AND holder = :holder"),
                    {"name": self.lease_name, "holder": self.holder},
                )

    async def sweep(self, *, as_leader: bool = False) -> int:
        """Claim every due deadline into the outbox, batch by batch. As the leader: only while the
        lease is ours, renewed between batches and checked in the sweeping statement itself, so a
        leader that stalled between renewing and sweeping does not sweep on waking."""
        guard = (
            " FROM scheduler_leases WHERE name = :name AND holder = :holder AND expires_at > clock_timestamp()"
            if as_leader
            else ""
        )
        total = 0
        while True:
            now = self.clock.now()
            async with self.db.engine.begin() as conn:
                claimed = int(
                    await conn.scalar(
                        text("SELECT koshiki_sweep_deadlines(:now, :limit, :stale)" + guard),
                        {
                            "now": now,
                            "limit": self.batch,
                            "stale": now - self.stale_after,
                            "name": self.lease_name,
                            "holder": self.holder,
                        },
                    )
                    or 0
                )
            total += claimed
            if claimed < self.batch or (as_leader and not await self._lead()):
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
        swept = await self.sweep(as_leader=True) if leader else 0
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
