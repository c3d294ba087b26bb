"""The queue backbone under load, on this machine's PostgreSQL and RabbitMQ.

    .venv/bin/python -m bench.backbone        (or: make bench)

Measures, printing each figure beside its target:
1. the sweep of 10,000 due deadlines out of 1,000,000 rows: claimed, relayed to RabbitMQ and done
   by `koshiki worker` processes (target: under 10 s);
2. the sweep's own time (claiming into the outbox) at 1,000,000 rows over its time at 100,000, the
   due count fixed at 10,000 (target: ratio ≤ 1.3), medians of 5 runs each;
3. outbox relay throughput to RabbitMQ with publisher confirms (target: ≥ 2,000 messages/s),
   the median of 3 runs of 20,000 messages;
4. the worker processes' peak memory (VmHWM; target: < 200 MB each).

Environment: BENCH_DATABASE_URL (a superuser URL; default TEST_DATABASE_URL, else the embedded
server), BENCH_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672/). It creates and drops its
own database and uses its own queue names.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from bench.common import BenchDatabase, bench_database, report
from service.bootstrap import bootstrap
from service.config import project_home
from service.kit.clock import SystemClock
from service.kit.db import Database
from service.kit.queue import QueueSettings, Relay, make_broker
from service.scheduler import Scheduler

BROKER = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
WORKER_THREADS = os.environ.get("BENCH_WORKER_THREADS", "8")
TENANTS = 100
DUE = 10_000


async def seed_tenants(db: BenchDatabase) -> None:
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO tenants (id, slug, name_ja, name_en, kind, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'bench-' || i, '団体' || i, 'Tenant ' || i, 'other', now(), now() "
                "FROM generate_series(1, :n) i"
            ),
            {"n": TENANTS},
        )


async def add_deadlines(db: BenchDatabase, count: int, *, due: bool, start: int) -> None:
    """Deadlines spread over the tenants: due ones in the past, the rest in the future."""
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                """
                WITH t AS (SELECT array_agg(id ORDER BY id) AS ids FROM tenants)
                INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, dedupe_key, created_at, updated_at)
                -- Time-ordered ids, as the application makes them (UUIDv7): rows made together sit together.
                SELECT (lpad(to_hex(CAST(:stamp AS bigint)), 12, '0') || '7' || lpad(to_hex(i), 19, '0'))::uuid,
                       t.ids[1 + (i % array_length(t.ids, 1))], 'bench.noop', 'bench', i::text,
                       CASE WHEN CAST(:due AS boolean) THEN now() - (i % 1000) * interval '1 second'
                            ELSE now() + interval '1 day' + (i % 500000) * interval '1 minute' END,
                       'bench-' || i, now(), now()
                  FROM t, generate_series(CAST(:start AS integer), CAST(:start AS integer) + CAST(:n AS integer) - 1) i
                """
            ),
            {"due": due, "start": start, "n": count, "stamp": int(time.time() * 1000)},
        )
        await conn.execute(text("ANALYZE deadlines"))


async def reset_due(db: BenchDatabase) -> None:
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                "UPDATE deadlines SET state = 'pending', queued_at = NULL, done_at = NULL WHERE kind = 'bench.noop' AND due_at <= now()"
            )
        )
        await conn.execute(text("DELETE FROM outbox"))
    async with db.superuser.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM ANALYZE deadlines, outbox"))
        # Write out what the set-up dirtied, so the sweep is not charged for evicting it.
        await autocommit.execute(text("CHECKPOINT"))


async def timed_sweep(db: BenchDatabase, app_db: Database, relay: Relay) -> float:
    times = []
    for _ in range(5):
        await reset_due(db)
        scheduler = Scheduler(app_db, SystemClock(), relay, batch=1000)
        started = time.perf_counter()
        claimed = await scheduler.sweep()
        times.append(time.perf_counter() - started)
        assert claimed == DUE, claimed
    return statistics.median(times)


def start_workers(db: BenchDatabase, prefix: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": db.app_url,
        "BROKER_URL": BROKER,
        "QUEUE_PREFIX": prefix,
        "KOSHIKI_EXTRA_MODULES": "bench.actors",
        "PYTHONPATH": str(project_home()),
        "LOG_LEVEL": "WARNING",
        "KOSHIKI_SECRET_KEY": "YmVuY2hiZW5jaGJlbmNoYmVuY2hiZW5jaGJlbmNoMTI=",
    }
    command = [
        sys.executable,
        "-m",
        "service.cli",
        "worker",
        "--processes",
        "2",
        "--threads",
        WORKER_THREADS,
        "--queues",
        "deadlines",
    ]
    return subprocess.Popen(
        command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = dict(
                    line.split(":\t", 1) for line in (entry / "status").read_text().splitlines() if ":\t" in line
                )
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(pid):
                found.append(int(entry.name))
    return found


def peak_rss_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks, default=0.0)


async def end_to_end(db: BenchDatabase, app_db: Database, relay: Relay, prefix: str) -> tuple[float, float]:
    await reset_due(db)
    workers = start_workers(db, prefix)
    try:
        await asyncio.sleep(4)  # the workers boot
        scheduler = Scheduler(app_db, SystemClock(), relay, batch=1000)
        started = time.perf_counter()
        await scheduler.sweep()
        relay_task = asyncio.create_task(relay.drain(max_rounds=1000))
        while True:
            async with db.superuser.connect() as conn:
                done = await conn.scalar(
                    text("SELECT count(*) FROM deadlines WHERE kind = 'bench.noop' AND state = 'done'")
                )
            if done >= DUE:
                break
            if time.perf_counter() - started > 300:
                raise RuntimeError(f"only {done} of {DUE} deadlines done after 300 s")
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        await relay_task
        memory = peak_rss_mb(children(workers.pid))
        return elapsed, memory
    finally:
        workers.send_signal(signal.SIGTERM)
        try:
            workers.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(workers.pid, signal.SIGKILL)


async def relay_throughput(db: BenchDatabase, app_db: Database, broker_prefix: str) -> float:
    config = QueueSettings(broker_url=BROKER, queue_prefix=broker_prefix)
    broker = make_broker(config)
    relay = Relay(app_db, SystemClock(), broker, config)
    rates = []
    try:
        for _ in range(3):
            async with db.superuser.begin() as conn:
                await conn.execute(text("DELETE FROM outbox"))
                await conn.execute(
                    text(
                        "INSERT INTO outbox (id, tenant_id, queue, actor, kwargs, created_at, available_at) "
                        "SELECT gen_random_uuid(), NULL, 'deadlines', 'run_deadlines', "
                        "jsonb_build_object('deadline_ids', jsonb_build_array(gen_random_uuid()), 'tenant_id', NULL), now(), now() "
                        "FROM generate_series(1, 20000)"
                    )
                )
            started = time.perf_counter()
            result = await relay.drain(max_rounds=1000)
            elapsed = time.perf_counter() - started
            assert result.sent == 20_000, result
            rates.append(result.sent / elapsed)
        return statistics.median(rates)
    finally:
        await relay.aclose()
        broker.channel.queue_delete(f"{broker_prefix}deadlines")  # type: ignore[attr-defined]


async def main() -> None:
    bootstrap(("bench.actors",))
    async with bench_database() as db:
        await seed_tenants(db)
        prefix = f"bench{secrets.token_hex(3)}-"
        config = QueueSettings(broker_url=BROKER, queue_prefix=prefix)
        broker = make_broker(config)
        app_db = Database(db.app_url, pool_size=4)
        relay = Relay(app_db, SystemClock(), broker, config)
        try:
            print("seeding 100,000 deadlines (10,000 due) …", flush=True)
            await add_deadlines(db, DUE, due=True, start=1)
            await add_deadlines(db, 90_000, due=False, start=DUE + 1)
            small = await timed_sweep(db, app_db, relay)
            print(f"  sweep at 100,000 rows: {small:.3f} s (median of 5)", flush=True)
            print("growing to 1,000,000 deadlines …", flush=True)
            await add_deadlines(db, 900_000, due=False, start=100_001)
            large = await timed_sweep(db, app_db, relay)
            print(f"  sweep at 1,000,000 rows: {large:.3f} s (median of 5)", flush=True)
            print(f"end to end: sweep, relay to RabbitMQ, 2 worker processes × {WORKER_THREADS} threads …", flush=True)
            elapsed, memory = await end_to_end(db, app_db, relay, prefix)
            print("relay throughput …", flush=True)
            rate = await relay_throughput(db, app_db, f"benchrelay{secrets.token_hex(3)}-")
        finally:
            await relay.aclose()
            for name in (f"{prefix}deadlines", f"{prefix}deadlines.DQ", f"{prefix}deadlines.XQ"):
                try:
                    broker.channel.queue_delete(name)  # type: ignore[attr-defined]
                except Exception:  # noqa: S112 - best effort clean-up of a shared broker
                    continue
            await app_db.dispose()
    ratio = large / small
    report(
        [
            ("10,000 due of 1,000,000: claimed, relayed, done", f"{elapsed:.2f} s", "< 10 s", elapsed < 10),
            (
                "sweep 1,000,000 rows / 100,000 rows (10,000 due)",
                f"{ratio:.2f} ({large:.3f} / {small:.3f} s)",
                "≤ 1.3",
                ratio <= 1.3,
            ),
            ("outbox relay to RabbitMQ with confirms", f"{rate:,.0f} msg/s", "≥ 2,000 msg/s", rate >= 2000),
            ("worker peak memory (per process)", f"{memory:.0f} MB", "< 200 MB", memory < 200),
        ]
    )


if __name__ == "__main__":
    asyncio.run(main())
