"""Shared set-up for the benchmarks: a fresh database on a real PostgreSQL, dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from service.config import project_home
from service.kit.db import async_url
from service.kit.dbadmin import bootstrap, drop_database
from service.kit.embedded_pg import EmbeddedPostgres, free_port
from service.kit.migrate import upgrade_sync


@dataclass
class BenchDatabase:
    admin_url: str
    name: str
    app_url: str
    owner_url: str
    superuser: AsyncEngine  # sees every tenant: for bulk set-up and checks only


@asynccontextmanager
async def bench_database() -> AsyncIterator[BenchDatabase]:
    admin = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    server = None
    if not admin:
        server = EmbeddedPostgres(project_home() / ".data" / "bench-postgres", free_port())
        server.start()
        admin = server.admin_url()
    name = f"koshiki_bench_{secrets.token_hex(4)}"
    app_url, owner_url = await bootstrap(admin, name)
    await asyncio.to_thread(upgrade_sync, owner_url)
    superuser_url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(async_url(superuser_url), pool_size=2)
    try:
        yield BenchDatabase(admin, name, app_url, owner_url, engine)
    finally:
        await engine.dispose()
        if os.environ.get("BENCH_KEEP_DATABASE"):
            print(f"kept database {name}")
        else:
            await drop_database(admin, name)
        if server is not None and server.started_here:
            server.stop()


def report(rows: list[tuple[str, str, str, bool | None]]) -> None:
    """A table of figures beside their targets; `None` for a figure that has no target."""
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'measure'.ljust(width)}  {'figure':>22}  {'target':>14}  verdict")
    for name, figure, target, ok in rows:
        verdict = "" if ok is None else "meets" if ok else "MISSES"
        print(f"{name.ljust(width)}  {figure:>22}  {target:>14}  {verdict}")
