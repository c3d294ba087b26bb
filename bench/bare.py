"""The baseline for bench/register.py and bench/posts.py: bare Litestar on asyncpg, no auth, no
tenancy, no ORM.

    BARE_DATABASE_URL=postgresql://… uvicorn bench.bare:app

Endpoints doing the least that answers the same questions: one indexed lookup by account key, 50
rows of a tenant's accounts, a post's JSON body decoded and answered with no checks, and 50 rows of
a tenant's posts awaiting approval. No row-level security: bench/register.py connects it as the
database owner (who reads every account as a member of the definer role), bench/posts.py as a
superuser (the posts' forced policy binds the owner too).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, get, post

COLUMNS = (
    "id, tenant_id, unit_id, platform, handle, platform_user_id, canonical_url, display_name, purpose, "
    "operating_body, operations_manager_id, signup_mailbox, verified_badge, profile_links_register, status, "
    "opened_on, closing_on, closed_on, last_post_at, last_password_change_at, last_monitored_at, "
    "needs_attention, attention_reasons, version, created_at, updated_at"
)
LIST = f"SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 ORDER BY id LIMIT 50"  # noqa: S608 - constant
# What a PostRead is made of (its signoffs aside: a list leaves them out).
POST_COLUMNS = (
    "id, account_id, state, awaiting, content, findings, blocking, in_range, by_contractor, author, source, "
    "planned_at, submitted_at, approved_at, approved_by, published_at, published_url, published_by, deleted_at, "
    "reason, corrects_id, corrected_by_id, review_id, created_at, updated_at, version"
)
AWAITING_APPROVAL = (
    f"SELECT {POST_COLUMNS} FROM posts WHERE tenant_id = $1 AND awaiting = 'approval' ORDER BY id LIMIT 50"  # noqa: S608 - constant
)
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


@post("/post-checks", status_code=200)
async def post_checks(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON body decoded (into plain objects, unvalidated) and answered as a post with nothing to find."""
    return {"findings": [], "blocking": 0}


@get("/posts/{tenant:uuid}")
async def posts(tenant: uuid.UUID) -> dict[str, Any]:
    assert pool is not None
    rows = await pool.fetch(AWAITING_APPROVAL, tenant)
    # asyncpg hands jsonb over as text: decoded, so the answer holds the same objects Koshiki's does.
    items = [
        {**r, "content": msgspec.json.decode(r["content"]), "findings": msgspec.json.decode(r["findings"])}
        for r in rows
    ]
    return {"items": items, "next_cursor": None}


app = Litestar([verify, accounts, post_checks, posts], lifespan=[lifespan], debug=False)
