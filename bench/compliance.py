"""The compliance report (004 表1–表18 and every finding) for one large tenant.

    .venv/bin/python -m bench.compliance          (or: make bench)
    .venv/bin/python -m bench.compliance --small  (the 10,000-account tenant only)

One tenant on 愛媛県's rules with 300 units (30 departments of 9 divisions), 10,000 accounts,
1,000,000 published posts over the year before as_of, 100,000 monitoring records, a password change
and three documents per account, 1,000 incidents and 100 agreements; seeded set-based as the
superuser, then VACUUM ANALYZE (as autovacuum leaves tables at rest). Printed beside their targets:
1. the report through the service (`compliance.service.report`, as the API runs it, with row-level
   security), the median of 5 runs: < 1 s;
2. the same at 100,000 accounts (same ratios: 10,000,000 posts): within 10× of the first;
and, for the heavy statements, a summary of `EXPLAIN (ANALYZE, BUFFERS)` on that data: the time,
the buffers, and the index each one reads through (a sequential scan of posts would show here).

Environment: BENCH_DATABASE_URL (a superuser URL; default TEST_DATABASE_URL, else the embedded
server). It creates and drops its own database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import statistics
import sys
import time
import uuid
from typing import Any

from sqlalchemy import text

from bench.common import BenchDatabase, bench_database, report
from service.compliance import repository as statements
from service.compliance import service
from service.config import project_home
from service.kit.calendar import start_of_day
from service.kit.clock import FrozenClock
from service.kit.context import Ctx
from service.kit.db import Database, set_tenant

AS_OF = dt.date(2026, 9, 30)
NOW = dt.datetime(2026, 10, 1, 3, 0, tzinfo=dt.UTC)
TZ = "Asia/Tokyo"
DEPARTMENTS, DIVISIONS = 30, 9  # 30 + 270 = 300 units
POSTS_PER_ACCOUNT = 100
MONITORING_PER_ACCOUNT = 10
RUNS = 5


def ehime_rules() -> dict[str, Any]:
    preset = json.loads((project_home() / "tenants" / "ehime-pref.json").read_text(encoding="utf-8"))
    return preset["guideline"]["document"]  # type: ignore[no-any-return]


async def seed(db: BenchDatabase, accounts: int) -> uuid.UUID:
    """The tenant, its units and records, written by plain statements (triggers off: no FK checks)."""
    tenant = uuid.uuid4()
    async with db.superuser.begin() as conn:
        await conn.execute(text("TRUNCATE tenants CASCADE"))
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text(
                "INSERT INTO tenants (id, slug, name_ja, name_en, kind, time_zone, created_at, updated_at) "
                "VALUES (:t, 'bench-ehime', '愛媛県', 'Ehime', 'prefecture', :tz, now(), now())"
            ),
            {"t": tenant, "tz": TZ},
        )
        await conn.execute(
            text(
                "INSERT INTO guideline_versions (id, tenant_id, version, document, reason, effective_from, created_by, "
                "created_at) VALUES (gen_random_uuid(), :t, 1, CAST(:doc AS jsonb), 'bench', DATE '2021-04-01', "
                "'bench', now())"
            ),
            {"t": tenant, "doc": json.dumps(ehime_rules())},
        )
        await conn.execute(
            text(
                """
                INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at)
                SELECT gen_random_uuid(), :t, 'd' || lpad(d::text, 2, '0'), '部' || d, 'Department ' || d, now(), now()
                  FROM generate_series(1, CAST(:departments AS int)) d
                """
            ),
            {"t": tenant, "departments": DEPARTMENTS},
        )
        await conn.execute(
            text(
                """
                INSERT INTO units (id, tenant_id, code, name_ja, name_en, parent_id, created_at, updated_at)
                SELECT gen_random_uuid(), :t, p.code || '-' || c, p.name_ja || '課' || c, p.name_en || ' div ' || c,
                       p.id, now(), now()
                  FROM units p CROSS JOIN generate_series(1, CAST(:divisions AS int)) c WHERE p.tenant_id = :t
                """
            ),
            {"t": tenant, "divisions": DIVISIONS},
        )
        await conn.execute(
            text(
                """
                INSERT INTO accounts (id, tenant_id, unit_id, platform, handle, account_key, canonical_url, display_name,
                                      operating_body, status, opened_on, origin, created_at, updated_at)
                SELECT gen_random_uuid(), :t, u.id,
                       (ARRAY['x', 'facebook', 'instagram', 'youtube', 'line', 'other'])[1 + i % 6],
                       'a' || i, 'bench:a' || i, 'https://x.com/a' || i, '公式 ' || i,
                       (ARRAY['direct', 'direct', 'outsourced', 'committee', 'designated_manager'])[1 + i % 5],
                       'active', DATE '2014-04-01' + (i % 4000),
                       (ARRAY['application', 'import', 'import_without_consultation', 'import_before_guideline'])[1 + i % 4],
                       now(), now()
                  FROM generate_series(0, CAST(:n AS int) - 1) i
                  JOIN (SELECT id, row_number() OVER (ORDER BY code) - 1 AS k FROM units
                         WHERE tenant_id = :t AND parent_id IS NOT NULL) u ON u.k = i % CAST(:units AS int)
                """
            ),
            {"t": tenant, "n": accounts, "units": DEPARTMENTS * DIVISIONS},
        )
        await conn.execute(
            text(
                "CREATE TEMP TABLE numbered ON COMMIT DROP AS "
                "SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts WHERE tenant_id = :t"
            ),
            {"t": tenant},
        )
        await conn.execute(
            text(
                """
                INSERT INTO posts (id, tenant_id, account_id, author, source, state, published_at, decision,
                                   created_at, updated_at)
                SELECT CAST(lpad(to_hex(a.n * 1000 + i), 32, '0') AS uuid), :t, a.id, 'bench', 'operator', 'published',
                       CAST(:now AS timestamptz) - (random() * 365) * interval '1 day',
                       CASE WHEN a.n % 20 = 0 AND i % 50 = 0 THEN 'none'
                            WHEN a.n % 7 = 0 AND i % 10 = 0 THEN 'pre_approved_range' ELSE 'approved' END,
                       now(), now()
                  FROM numbered a CROSS JOIN generate_series(1, CAST(:per AS int)) i
                """
            ),
            {"t": tenant, "now": NOW, "per": POSTS_PER_ACCOUNT},
        )
        await conn.execute(
            text(
                """
                INSERT INTO monitoring_records (id, tenant_id, account_id, monitored_on, issues_found, recorded_by,
                                                created_at)
                SELECT gen_random_uuid(), :t, a.id, CAST(:as_of AS date) - (i * (3 + a.n % 9) + a.n % 3)::int,
                       false, 'bench', now()
                  FROM numbered a CROSS JOIN generate_series(0, CAST(:per AS int) - 1) i
                """
            ),
            {"t": tenant, "as_of": AS_OF, "per": MONITORING_PER_ACCOUNT},
        )
        await conn.execute(
            text(
                """
                INSERT INTO password_changes (id, tenant_id, account_id, changed_on, meets_policy, recorded_by, created_at)
                SELECT gen_random_uuid(), :t, a.id, CAST(:as_of AS date) - (a.n % 500)::int, a.n % 9 <> 0, 'bench', now()
                  FROM numbered a
                """
            ),
            {"t": tenant, "as_of": AS_OF},
        )
        await conn.execute(
            text(
                """
                INSERT INTO account_documents (id, tenant_id, account_id, kind, items, public_url, disclosed_on_account,
                                               created_at, updated_at)
                SELECT gen_random_uuid(), :t, a.id, k,
                       CASE WHEN a.n % 11 = 0 THEN '{"purpose": "x"}'::jsonb
                            ELSE '{"purpose": "x", "platforms": "x", "audience": "x"}'::jsonb END,
                       CASE WHEN a.n % 4 = 0 THEN NULL ELSE 'https://example.jp/p' END, a.n % 3 = 0, now(), now()
                  FROM numbered a CROSS JOIN unnest(ARRAY['usage_policy', 'operations_manual', 'account_policy']) k
                 WHERE a.n % 13 <> 0
                """
            ),
            {"t": tenant},
        )
        await conn.execute(
            text(
                """
                INSERT INTO incidents (id, tenant_id, account_id, kind, severity, title, reported_by, reported_at,
                                       created_at, updated_at)
                SELECT gen_random_uuid(), :t, a.id, 'flaming', 'low', 'bench', 'bench',
                       CAST(:now AS timestamptz) - (a.n % 700) * interval '1 day', now(), now()
                  FROM numbered a WHERE a.n % 10 = 0
                """
            ),
            {"t": tenant, "now": NOW},
        )
        await conn.execute(
            text(
                """
                INSERT INTO agreements (id, tenant_id, unit_id, contractor_name, kind, reference, starts_on, ends_on,
                                        clauses, created_by, created_at, updated_at)
                SELECT gen_random_uuid(), :t, u.id, 'bench', CASE WHEN u.k % 3 = 0 THEN 'designated_manager'
                       ELSE 'outsourcing' END, 'ref-' || u.k, DATE '2026-04-01', DATE '2027-03-31',
                       CASE WHEN u.k % 2 = 0 THEN '{"security_policy_compliance": {"stated": true},
                                                    "copyright": {"stated": true}}'::jsonb
                            ELSE '{}'::jsonb END, 'bench', now(), now()
                  FROM (SELECT id, row_number() OVER (ORDER BY code) AS k FROM units WHERE tenant_id = :t) u
                 WHERE u.k <= 100
                """
            ),
            {"t": tenant},
        )
    async with db.superuser.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))  # as autovacuum leaves a table at rest
    return tenant


async def time_report(app_db: Database, tenant: uuid.UUID) -> tuple[float, service.ComplianceReport]:
    """The median of RUNS reports through the service, each in its own unit of work (as a request)."""
    clock = FrozenClock(NOW)
    timings = []
    result = None
    for _ in range(RUNS):
        started = time.perf_counter()
        async with app_db.unit_of_work() as session:
            await set_tenant(session, tenant)
            result = await service.report(Ctx.for_system(session, tenant, clock, "bench"), AS_OF, 90)
        timings.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(timings), result


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


async def plans(app_db: Database, tenant: uuid.UUID) -> list[tuple[str, float, int, str]]:
    """Each heavy statement's EXPLAIN (ANALYZE, BUFFERS): its time, shared buffers and how it reads."""
    window_from = AS_OF - dt.timedelta(days=89)
    year_from = AS_OF - dt.timedelta(days=365)
    until = start_of_day(AS_OF + dt.timedelta(days=1), TZ)
    documents = ehime_rules()["opening"]["required_documents"]
    required = {kind: documents[kind]["items"] for kind in ("usage_policy", "operations_manual", "account_policy")}
    heavy = {
        "POSTS": (statements.POSTS_FIXED_OFFSET, {"since": start_of_day(window_from, TZ), "until": until,
                                                  "until_epoch": until.timestamp()}),
        "DECISIONS": (statements.DECISIONS, {"since": start_of_day(year_from, TZ), "until": until}),
        "MONITORING": (statements.MONITORING, {"start": window_from, "as_of": AS_OF}),
        "PASSWORDS": (statements.PASSWORDS, {"as_of": AS_OF}),
        "ACCOUNTS": (statements.ACCOUNTS, {"as_of": AS_OF, **required}),
    }  # fmt: skip
    summaries = []
    async with app_db.unit_of_work() as session:
        await set_tenant(session, tenant)
        await statements.ReportReader(session, tenant).settle()  # as the report runs them
        for name, (sql, params) in heavy.items():
            raw = await session.scalar(
                text(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"), {"tenant": tenant, **params}
            )
            document = raw if isinstance(raw, list) else json.loads(raw)
            top = document[0]
            nodes = _nodes(top["Plan"])
            scans = sorted(
                {
                    f"{n['Node Type']} {n.get('Index Name', '')} on {n.get('Relation Name', '')}".replace("  ", " ")
                    for n in nodes
                    if "Relation Name" in n
                }
            )
            summaries.append((name, float(top["Execution Time"]), int(top["Plan"].get("Shared Hit Blocks", 0))
                              + int(top["Plan"].get("Shared Read Blocks", 0)), "; ".join(scans)))  # fmt: skip
    return summaries


async def main() -> None:
    small_only = "--small" in sys.argv
    async with bench_database() as db:
        app_db = Database(db.app_url, pool_size=2, name="bench-compliance")
        try:
            started = time.perf_counter()
            tenant = await seed(db, 10_000)
            print(f"seeded 10,000 accounts, 1,000,000 posts in {time.perf_counter() - started:.0f} s", flush=True)
            small, result = await time_report(app_db, tenant)
            small_plans = await plans(app_db, tenant)
            print(f"report at 10,000 accounts: {small:.2f} s (median of {RUNS})", flush=True)
            large = None
            if not small_only:
                started = time.perf_counter()
                tenant = await seed(db, 100_000)
                print(f"seeded 100,000 accounts, 10,000,000 posts in {time.perf_counter() - started:.0f} s", flush=True)
                large, _ = await time_report(app_db, tenant)
                large_plans = await plans(app_db, tenant)
        finally:
            await app_db.dispose()
    t11 = next(t for t in result.tables if t.number == 11)
    print("表11 at 10,000 accounts:", {r.key: r.cells["units"].text for r in t11.rows})
    print(f"findings at 10,000 accounts: {sum(len(a.findings) for a in result.accounts):,}")
    for label, summary in (
        ("10,000 accounts", small_plans),
        *(() if large is None else (("100,000 accounts", large_plans),)),
    ):
        print(f"\nplans at {label} (EXPLAIN ANALYZE, BUFFERS):")
        for name, ms, buffers, scans in summary:
            print(f"  {name:<11} {ms:8.1f} ms  {buffers:>8,} buffers  {scans}")
    rows: list[tuple[str, str, str, bool | None]] = [
        ("report, 10,000 accounts / 1,000,000 posts (median of 5)", f"{small:.2f} s", "< 1 s", small < 1),
    ]
    if large is not None:
        rows.append(
            (
                "report, 100,000 accounts / 10,000,000 posts (median of 5)",
                f"{large:.2f} s ({large / small:.1f}×)",
                "< 10×",
                large / small < 10,
            )
        )
    report(rows)


if __name__ == "__main__":
    asyncio.run(main())
