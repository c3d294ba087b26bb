"""The baseline for bench/register.py: bare Litestar on asyncpg, no auth, no tenancy, no ORM.

    BARE_DATABASE_URL=postgresql://… uvicorn bench.bare:app

Two endpoints doing the least that answers the same questions: one indexed lookup by account key,
and 50 rows of a tenant's accounts. It connects as the database owner (no row-level security).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, get

COLUMNS = (
    "id, tenant_id, unit_id, platform, handle, platform_user_id, canonical_url, display_name, purpose, "
    "operating_body, operations_manager_id, signup_mailbox, verified_badge, profile_links_register, status, "
    "opened_on, closing_on, closed_on, last_post_at, last_password_change_at, last_monitored_at, "
    "needs_attention, attention_reasons, version, created_at, updated_at"
)
LIST = f"SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 ORDER BY id LIMIT 50"  # noqa: S608 - constant
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_: Litestar) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=10, max_size=10)
    try:
        yield
    finally:
        await pool.close()


@get("/verify")
async def verify(key: str) -> dict[str, Any]:
    assert pool is not None
    row = await pool.fetchrow(
        "SELECT status, platform, display_name, canonical_url, closing_on, closed_on FROM accounts WHERE account_key = $1",
        key,
    )
    return {"verdict": row["status"] if row else "unknown", "account": dict(row) if row else None}


@get("/accounts")
async def accounts(tenant: uuid.UUID) -> dict[str, Any]:
    assert pool is not None
    rows = await pool.fetch(LIST, tenant)
    return {"items": [dict(r) for r in rows], "next_cursor": None}


app = Litestar([verify, accounts], lifespan=[lifespan], debug=False)
