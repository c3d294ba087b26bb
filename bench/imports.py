"""Importing an agency's register with its history, at scale, through the real import path.

    .venv/bin/python -m bench.imports        (BENCH_IMPORT_ACCOUNTS=1000 for a quicker look)

One tenant on 愛媛県's rules with 10,000 accounts to import, each with 100 published posts
(1,000,000 posts): the JSON file is built in memory and given to the import service in one unit of
work, as `POST /v1/tenants/{id}/imports` does (checks, accounts, set-based history, each account
opened through ACCOUNT_OPENED with its deadlines). Printed beside the target (< 60 s):
1. the real run;
2. the same file again (it must change nothing);
and, as the baseline, the same account and post rows written by bare INSERTs in this script; with
the load average, since other work on the machine moves the figures.

Environment: BENCH_DATABASE_URL (a superuser URL; default TEST_DATABASE_URL, else the embedded
server). It creates and drops its own database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
import uuid

import msgspec
from sqlalchemy import text

from bench.common import BenchDatabase, bench_database, report
from service.bootstrap import bootstrap
from service.config import project_home
from service.imports import service as imports
from service.kit.clock import FrozenClock
from service.kit.context import Ctx
from service.kit.db import Database, set_tenant

ACCOUNTS = int(os.environ.get("BENCH_IMPORT_ACCOUNTS", "10000"))
POSTS = 100
NOW = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


async def seed(db: BenchDatabase) -> uuid.UUID:
    """The tenant, one unit, 愛媛県's rules in force."""
    preset = json.loads((project_home() / "tenants" / "ehime-pref.json").read_text(encoding="utf-8"))
    tenant_id = uuid.uuid4()
    async with db.superuser.begin() as conn:
        await conn.execute(
            text("INSERT INTO tenants (id, slug, name_ja, name_en, kind, time_zone, created_at, updated_at) "
                 "VALUES (:id, 'bench-import', '県', 'Prefecture', 'prefecture', 'Asia/Tokyo', now(), now())"),
            {"id": tenant_id},
        )  # fmt: skip
        await conn.execute(
            text("INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at) "
                 "VALUES (gen_random_uuid(), :id, 'koho', '広報', 'PR', now(), now())"),
            {"id": tenant_id},
        )  # fmt: skip
        await conn.execute(
            text("INSERT INTO guideline_versions (id, tenant_id, version, document, reason, effective_from, "
                 "created_by, created_at) VALUES (gen_random_uuid(), :id, 1, CAST(:doc AS jsonb), 'bench', "
                 "DATE '2025-04-01', 'bench', now())"),
            {"id": tenant_id, "doc": json.dumps(preset["guideline"]["document"])},
        )  # fmt: skip
    return tenant_id


def register_file() -> bytes:
    start = dt.datetime(2025, 12, 1, 0, 0, tzinfo=dt.UTC)
    accounts = [
        {
            "unit_code": "koho",
            "url": f"https://x.com/bench_{i}",
            "display_name": f"広報 {i}",
            "operating_body": "direct",
            "opened_on": "2020-04-01",
            "posts": [
                {
                    "published_at": (start + dt.timedelta(hours=j * 12)).isoformat(),
                    "url": f"https://x.com/bench_{i}/status/{j}",
                    "decision": "approved",
                }
                for j in range(POSTS)
            ],
            "monitoring": [{"monitored_on": "2026-03-27"}],
        }
        for i in range(ACCOUNTS)
    ]
    return msgspec.json.encode({"accounts": accounts})


async def run(app_db: Database, tenant_id: uuid.UUID, raw: bytes) -> tuple[float, imports.ImportSummary]:
    clock = FrozenClock(NOW)
    started = time.perf_counter()
    async with app_db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        summary = await imports.run(
            Ctx.for_system(session, tenant_id, clock, "bench:import"), raw, "application/json", dry_run=False
        )
    return time.perf_counter() - started, summary


async def bare_insert(db: BenchDatabase, tenant_id: uuid.UUID) -> float:
    """The baseline: the same accounts and posts by bare INSERTs as the superuser (no checks, no
    row-level security, no deadlines, no audit), into a fresh tenant."""
    async with db.superuser.begin() as conn:
        await conn.execute(text("TRUNCATE posts, monitoring_records, deadlines, outbox, audit_events CASCADE"))
        for table in ("account_operators", "account_documents", "accounts"):
            await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - our own names
    started = time.perf_counter()
    async with db.superuser.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO accounts (id, tenant_id, unit_id, platform, handle, account_key, canonical_url,
                                      display_name, operating_body, status, opened_on, origin, created_at, updated_at)
                SELECT gen_random_uuid(), u.tenant_id, u.id, 'x', 'bench_' || i, 'x:handle:bench_' || i,
                       'https://x.com/bench_' || i, '広報 ' || i, 'direct', 'active', DATE '2020-04-01', 'import',
                       now(), now()
                  FROM units u CROSS JOIN generate_series(0, :n - 1) i WHERE u.tenant_id = :tenant
                """
            ),
            {"n": ACCOUNTS, "tenant": tenant_id},
        )
        await conn.execute(
            text(
                """
                INSERT INTO posts (id, tenant_id, account_id, author, source, state, published_at, published_url,
                                   decision, created_at, updated_at)
                SELECT gen_random_uuid(), a.tenant_id, a.id, 'bench', 'system', 'published',
                       TIMESTAMPTZ '2025-12-01 00:00+00' + j * interval '12 hours',
                       a.canonical_url || '/status/' || j, 'approved', now(), now()
                  FROM accounts a CROSS JOIN generate_series(0, :posts - 1) j
                """
            ),
            {"posts": POSTS},
        )
    return time.perf_counter() - started


async def main() -> None:
    bootstrap()
    raw = register_file()
    print(f"file: {ACCOUNTS:,} accounts, {ACCOUNTS * POSTS:,} posts, {len(raw) / 2**20:.0f} MiB of JSON")
    async with bench_database() as db:
        tenant_id = await seed(db)
        app_db = Database(db.app_url, pool_size=2, name="bench-imports")
        try:
            first, summary = await run(app_db, tenant_id, raw)
            again, repeat = await run(app_db, tenant_id, raw)
            async with db.superuser.connect() as conn:
                deadlines = int(await conn.scalar(text("SELECT count(*) FROM deadlines")) or 0)
            baseline = await bare_insert(db, tenant_id)
        finally:
            await app_db.dispose()
    load = os.getloadavg()
    print(f"imported {summary.accounts.created:,} accounts, {summary.posts.created:,} posts, "
          f"{deadlines:,} deadlines scheduled; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    unchanged = repeat.accounts.created == 0 and repeat.posts.created == 0
    report(
        [
            ("the same accounts and posts by bare INSERTs (baseline)", f"{baseline:.1f} s", "—", None),
            (f"import of {ACCOUNTS:,} accounts × {POSTS} posts", f"{first:.1f} s ({first / baseline:.1f}× baseline)",
             "< 60 s", first < 60),
            ("the same file again (changes nothing)", f"{again:.1f} s", "—", unchanged),
        ]
    )  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
