"""The scheduler's leader: a lease renewed without an open transaction, taken by a peer once it
lapses; a leader that lost it sweeps nothing, even if it stalled between renewing and sweeping."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import secrets
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from service.app import create_app
from service.bootstrap import bootstrap
from service.config import Settings
from service.deadlines.service import schedule
from service.kit.clock import FrozenClock, SystemClock
from service.kit.db import Database, set_tenant
from service.scheduler import Scheduler
from tests.support import create_tenant, make_token, serving
from tests.support.figures import report
from tests.support.processes import ServiceProcesses

LEASE = dt.timedelta(seconds=1)


async def due_deadline(db: Database, tenant_id: uuid.UUID, due_at: dt.datetime, now: dt.datetime) -> uuid.UUID:
    key = uuid.uuid4().hex
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        assert await schedule(
            session,
            tenant_id=tenant_id,
            kind="test.record",
            subject_kind="test",
            subject_id=key,
            due_at=due_at,
            dedupe_key=key,
            now=now,
        )
        return uuid.UUID(str(await session.scalar(text("SELECT id FROM deadlines WHERE dedupe_key = :k"), {"k": key})))


async def test_the_lease_is_renewed_without_a_transaction_left_open(settings: Settings, clock: FrozenClock) -> None:
    """A leader "idle in transaction" is killed by any server with an idle_in_transaction_session_timeout."""
    name = f"koshiki-leader-{secrets.token_hex(3)}"
    own = Database(settings.require_database_url(), pool_size=2, name=name, clock=clock)
    from service.kit.queue import QueueSettings, Relay, broker_for

    config = QueueSettings.from_settings(settings)
    scheduler = Scheduler(own, clock, Relay(own, clock, broker_for(config), config), lease_name=name)
    try:
        assert await scheduler._lead()
        assert await scheduler._lead()  # renewed
        async with own.engine.connect() as probe:
            states = (
                (
                    await probe.execute(
                        text(
                            "SELECT state FROM pg_stat_activity WHERE application_name = :n AND pid <> pg_backend_pid()"
                        ),
                        {"n": name},
                    )
                )
                .scalars()
                .all()
            )
        assert "idle in transaction" not in states, states
    finally:
        await scheduler.resign()
        await own.dispose()


async def test_a_lapsed_lease_passes_to_a_peer_and_the_old_leader_sweeps_nothing(
    app: Any, worker: Any, tenant: dict[str, Any], settings: Settings, clock: FrozenClock
) -> None:
    name = f"test-{secrets.token_hex(3)}"
    other_db = Database(settings.require_database_url(), pool_size=2, clock=clock)
    first = Scheduler(app.state.db, clock, app.state.relay, interval=0.1, lease=LEASE, lease_name=name)
    second = Scheduler(other_db, clock, app.state.relay, interval=0.1, lease=LEASE, lease_name=name)
    try:
        assert await first._lead()
        assert not await second._lead(), "a lease held is not taken"
        assert await first._lead(), "the holder renews its own lease"
        await asyncio.sleep(LEASE.total_seconds() + 0.3)  # the leader falls silent past its lease
        assert await second._lead(), "a lapsed lease passes to the peer"
        assert not await first._lead(), "the old leader does not take it back"
        # The old leader wakes up believing it leads (it stalled right after renewing): its sweep
        # finds the lease gone and claims nothing, though a deadline is due.
        first.leading = True
        now = app.state.clock.now()
        deadline = await due_deadline(app.state.db, uuid.UUID(tenant["id"]), now - dt.timedelta(minutes=1), now)
        assert await first.sweep(as_leader=True) == 0
        assert await second.sweep(as_leader=True) >= 1
        async with app.state.db.unit_of_work() as session:
            await set_tenant(session, uuid.UUID(tenant["id"]))
            state = await session.scalar(text("SELECT state FROM deadlines WHERE id = :id"), {"id": deadline})
        assert state == "queued"
        await second.resign()
        assert await first._lead(), "a lease given up is free at once"
    finally:
        await first.resign()
        await second.resign()
        await other_db.dispose()


# ---- two `koshiki scheduler` processes, the leader frozen -----------------------------------------


async def _lease_holder(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.scalar(
            text("SELECT holder FROM scheduler_leases WHERE name = 'sweep' AND expires_at > clock_timestamp()")
        )


async def _ran(db: Database, tenant: uuid.UUID, ids: list[uuid.UUID]) -> tuple[int, int]:
    """(deadlines done, times queued to run) for these deadlines: a deadline swept twice is queued twice."""
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant)
        done = await session.scalar(
            text("SELECT count(*) FROM deadlines WHERE id = ANY(:ids) AND state = 'done'"), {"ids": ids}
        )
        queued = await session.scalar(
            text(
                "SELECT count(*) FROM outbox, jsonb_array_elements_text(kwargs->'deadline_ids') AS queued(id) "
                "WHERE actor = 'run_deadlines' AND queued.id::uuid = ANY(:ids)"
            ),
            {"ids": ids},
        )
    return int(done or 0), int(queued or 0)


@pytest.mark.slow
async def test_a_frozen_leader_is_replaced_and_every_deadline_runs_once(
    settings: Settings, own_database: tuple[str, str], tmp_path: Path
) -> None:
    """SIGSTOP the leading `koshiki scheduler` (as a hung call would): the other takes the lease
    once it lapses and sweeps the deadlines that fall due meanwhile; the frozen one, woken up,
    does not sweep them again."""
    app_url, owner_url = own_database
    clock = SystemClock()
    db = Database(app_url, pool_size=2, clock=clock)
    fresh = dataclasses.replace(settings, database_url=app_url, migration_database_url=owner_url)
    lease_ms = 2000
    processes = ServiceProcesses(
        app_url,
        "redis://127.0.0.1:6379/0",
        f"s{secrets.token_hex(3)}-",
        logs=tmp_path,
        SCHEDULER_LEASE_MS=str(lease_ms),
        SWEEP_INTERVAL_MS="200",
    )
    try:
        async with serving(create_app(fresh, db=db, clock=clock)) as client:
            platform = {"Authorization": f"Bearer {await make_token(db, clock, expires_in=dt.timedelta(hours=1))}"}
            tenant = uuid.UUID((await create_tenant(client, platform))["id"])
        leader = processes.scheduler()
        deadline = time.monotonic() + 30
        while (holder := await _lease_holder(db)) is None:
            assert time.monotonic() < deadline, "no scheduler took the lease"
            await asyncio.sleep(0.1)
        assert holder.split(":")[1] == str(leader.pid)
        processes.scheduler()
        processes.worker()
        await asyncio.sleep(1)
        os.killpg(leader.pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        now = clock.now()
        ids = [await due_deadline(db, tenant, now + dt.timedelta(milliseconds=200), now) for _ in range(50)]
        deadline = time.monotonic() + 60
        while (await _ran(db, tenant, ids))[0] < len(ids):
            assert time.monotonic() < deadline, "the deadlines were never run: " + _logs(tmp_path)
            await asyncio.sleep(0.1)
        took_over = time.monotonic() - frozen_at
        os.killpg(leader.pid, signal.SIGCONT)
        await asyncio.sleep(lease_ms / 1000 + 1)  # room for the woken leader to sweep, if it would
        holder = await _lease_holder(db)
        done, queued = await _ran(db, tenant, ids)
        report(
            "scheduler leader frozen (SIGSTOP)",
            operations=len(ids),
            lost=len(ids) - done,
            doubled=queued - done,
            stuck=len(ids) - done,
            seconds_to_take_over=took_over,
            lease_seconds=lease_ms / 1000,
        )
        assert (done, queued) == (len(ids), len(ids))
        assert holder is not None
        assert holder.split(":")[1] != str(leader.pid), "the woken leader took the lease back"
        assert took_over < lease_ms / 1000 + 10
    finally:
        with_leader = [p for p in processes.processes if p.poll() is None]
        for process in with_leader:
            os.killpg(process.pid, signal.SIGCONT)
        processes.stop_all()
        await db.dispose()
        bootstrap(settings.extra_modules)


def _logs(directory: Path) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in directory.glob("*.log"))
