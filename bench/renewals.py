"""Opening a fiscal year's continuation round, and the sweep that follows, at scale.

    .venv/bin/python -m bench.renewals        (or: make bench)

1,000 tenants on 小山高専's rules (a declaration by 31 March, reminders 30 and 7 days before), each
with its accounts. Printed beside their targets:
1. opening the round (each tenant's deadline, and every live account's declaration, reminders and
   deadline) for 100,000 accounts, plus the sweep that claims the first 100,000 reminders when
   they fall due into the outbox: under 60 s together;
2. memory flat in the number of accounts: the peak of Python allocations while opening the round,
   at 100,000 accounts over at 10,000 (same 1,000 tenants; target: ratio under 1.5).
The baseline, run in the same script: the same rows written by two plain superuser statements.

Environment: BENCH_DATABASE_URL (a superuser URL; default TEST_DATABASE_URL, else the embedded
server). It creates and drops its own database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import tracemalloc
import uuid

from sqlalchemy import text

from bench.common import BenchDatabase, bench_database, report
from service.config import project_home
from service.kit.clock import FrozenClock
from service.kit.db import Database, set_tenant
from service.kit.queue import QueueSettings, Relay, make_broker
from service.renewals.service import sync_continuation_deadlines
from service.scheduler import Scheduler

TENANTS = 1_000
OPENED = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)  # 09:00 in Tokyo, the first day of FY2026
FIRST_REMINDER = dt.datetime(2027, 3, 1, 0, 30, tzinfo=dt.UTC)  # 30 days before 31 March, 09:30 in Tokyo


def oyama_rules() -> dict[str, object]:
    preset = json.loads((project_home() / "tenants" / "oyama-kosen.json").read_text(encoding="utf-8"))
    return preset["guideline"]["document"]  # type: ignore[no-any-return]


async def seed(db: BenchDatabase, per_tenant: int) -> list[uuid.UUID]:
    """Tenants with a unit, the rules in force, and `per_tenant` active accounts each."""
    async with db.superuser.begin() as conn:
        await conn.execute(text("TRUNCATE tenants, deadlines, outbox CASCADE"))
        await conn.execute(
            text(
                "INSERT INTO tenants (id, slug, name_ja, name_en, kind, created_at, updated_at) "
                "SELECT gen_random_uuid(), 'r-' || i, '団体' || i, 'Agency ' || i, 'other', now(), now() "
                "FROM generate_series(1, :n) i"
            ),
            {"n": TENANTS},
        )
        await conn.execute(
            text(
                "INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at) "
                "SELECT gen_random_uuid(), id, 'koho', '広報', 'PR', now(), now() FROM tenants"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO guideline_versions (id, tenant_id, version, document, reason, effective_from, created_by, "
                "created_at) SELECT gen_random_uuid(), id, 1, CAST(:doc AS jsonb), 'bench', DATE '2025-04-01', 'bench', "
                "now() FROM tenants"
            ),
            {"doc": json.dumps(oyama_rules())},
        )
        await conn.execute(
            text(
                """
                INSERT INTO accounts (id, tenant_id, unit_id, platform, handle, account_key, canonical_url, display_name,
                                      operating_body, status, opened_on, created_at, updated_at)
                SELECT gen_random_uuid(), u.tenant_id, u.id, 'x', 'a' || u.n || '_' || i, 'x:handle:a' || u.n || '_' || i,
                       'https://x.com/a' || u.n || '_' || i, '広報 ' || i, 'direct', 'active', DATE '2025-04-01',
                       now(), now()
                  FROM (SELECT id, tenant_id, row_number() OVER () AS n FROM units) u
                 CROSS JOIN generate_series(1, :per) i
                """
            ),
            {"per": per_tenant},
        )
        await conn.execute(text("ANALYZE"))
        return list((await conn.execute(text("SELECT id FROM tenants ORDER BY id"))).scalars())


async def open_rounds(app_db: Database, tenants: list[uuid.UUID], *, trace: bool = False) -> tuple[float, int]:
    """Each tenant's round, one transaction each (as recording a configuration or the previous
    round ending does it); the seconds taken and, when traced, the peak of Python allocations."""
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    for tenant_id in tenants:
        async with app_db.unit_of_work() as session:
            await set_tenant(session, tenant_id)
            await sync_continuation_deadlines(session, tenant_id, OPENED)
    elapsed = time.perf_counter() - started
    peak = 0
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, peak


async def counts(db: BenchDatabase) -> tuple[int, int]:
    async with db.superuser.connect() as conn:
        declarations = int(await conn.scalar(text("SELECT count(*) FROM continuation_declarations")) or 0)
        deadlines = int(await conn.scalar(text("SELECT count(*) FROM deadlines")) or 0)
    return declarations, deadlines


async def sweep(db: BenchDatabase, app_db: Database) -> tuple[float, int]:
    config = QueueSettings(broker_url=None, queue_prefix="bench-")
    relay = Relay(app_db, FrozenClock(FIRST_REMINDER), make_broker(config), config)
    scheduler = Scheduler(app_db, FrozenClock(FIRST_REMINDER), relay, batch=1000)
    started = time.perf_counter()
    swept = await scheduler.sweep()
    elapsed = time.perf_counter() - started
    relay.close()
    return elapsed, swept


async def bare_insert(db: BenchDatabase) -> float:
    """The baseline: the same declarations and deadlines written by two plain statements as the
    superuser (no tenant loop, no row-level security, no schedule logic): the floor of writing them."""
    async with db.superuser.begin() as conn:
        await conn.execute(text("TRUNCATE continuation_declarations, deadlines"))
    started = time.perf_counter()
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO continuation_declarations (id, tenant_id, account_id, due_on, created_at, updated_at) "
                "SELECT gen_random_uuid(), tenant_id, id, DATE '2027-03-31', now(), now() FROM accounts"
            )
        )
        await conn.execute(
            text(
                """
                INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, payload, dedupe_key,
                                       created_at, updated_at)
                SELECT gen_random_uuid(), d.tenant_id, 'renewal.reminder', 'account', d.account_id::text,
                       now() + s.n * interval '1 day', jsonb_build_object('declaration_id', d.id::text),
                       'renewal:2027-03-31:' || s.n, now(), now()
                  FROM continuation_declarations d CROSS JOIN generate_series(1, 3) s(n)
                """
            )
        )
    return time.perf_counter() - started


async def main() -> None:
    async with bench_database() as db:
        app_db = Database(db.app_url, pool_size=2, name="bench-renewals")
        try:
            # Memory first, traced (tracing slows Python), at 10 and 100 accounts a tenant; then the time.
            _, small_peak = await open_rounds(app_db, await seed(db, 10), trace=True)
            _, peak = await open_rounds(app_db, await seed(db, 100), trace=True)
            opened, _ = await open_rounds(app_db, await seed(db, 100))
            declarations, deadlines = await counts(db)
            swept_in, swept = await sweep(db, app_db)
            baseline = await bare_insert(db)
        finally:
            await app_db.dispose()
    print(f"opened {declarations:,} declarations and {deadlines:,} deadlines in {opened:.1f} s; swept {swept:,}")
    total = opened + swept_in
    report(
        [
            ("the same rows by two bare INSERTs (baseline)", f"{baseline:.1f} s", "—", None),
            ("round for 100,000 accounts: opened", f"{opened:.1f} s ({opened / baseline:.1f}× baseline)", "—", None),
            ("the first reminders swept into the outbox", f"{swept_in:.1f} s ({swept:,})", "—", None),
            ("opened and swept", f"{total:.1f} s", "< 60 s", total < 60),
            (
                "peak Python memory opening it, 100,000 / 10,000 accounts",
                f"{peak / small_peak:.2f} ({peak / 2**20:.1f} / {small_peak / 2**20:.1f} MB)",
                "< 1.5",
                peak / small_peak < 1.5,
            ),
        ]
    )


if __name__ == "__main__":
    asyncio.run(main())
