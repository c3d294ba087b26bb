"""Row-level security, checked through the application role itself."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from service.kit.db import Database, role_problems, set_platform, set_tenant
from service.tenants.models import Unit
from tests.support import DatabaseUnderTest, create_tenant, make_unit


async def test_every_tenant_table_has_forced_rls_and_a_policy(db: Database) -> None:
    async with db.unit_of_work() as session:
        rows = (
            await session.execute(
                text(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                      AND (EXISTS (SELECT 1 FROM pg_attribute a
                                   WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                           OR c.relname = 'tenants')
                    """
                )
            )
        ).all()
    tables = {r.relname for r in rows}
    assert {"tenants", "units", "api_tokens", "guideline_versions", "idempotency_keys"} <= tables
    for row in rows:
        assert row.relrowsecurity, f"{row.relname}: row-level security not enabled"
        assert row.relforcerowsecurity, f"{row.relname}: row-level security not forced"
        assert row.policies >= 1, f"{row.relname}: no policy"


async def test_the_app_role_is_not_privileged(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await role_problems(session) == []
        user = await session.scalar(text("SELECT current_user"))
    assert user == "koshiki_app"


async def test_a_query_without_the_tenant_filter_still_sees_one_tenant(
    client: httpx.AsyncClient, platform: dict[str, str], db: Database
) -> None:
    mine = await create_tenant(client, platform)
    theirs = await create_tenant(client, platform)
    await make_unit(client, platform, mine["id"])
    foreign = await make_unit(client, platform, theirs["id"])
    async with db.unit_of_work() as session:
        # No tenant set: nothing at all, not even with platform mode on.
        assert (await session.execute(select(Unit))).all() == []
        await set_platform(session)
        assert (await session.execute(select(Unit))).all() == []
    async with db.unit_of_work() as session:
        await set_tenant(session, mine["id"])
        units = (await session.execute(select(Unit))).scalars().all()  # deliberately no WHERE tenant_id
        assert {str(u.tenant_id) for u in units} == {mine["id"]}
        assert foreign["id"] not in {str(u.id) for u in units}


async def test_rls_refuses_writing_rows_into_another_tenant(
    client: httpx.AsyncClient, platform: dict[str, str], db: Database
) -> None:
    mine = await create_tenant(client, platform)
    theirs = await create_tenant(client, platform)
    foreign = await make_unit(client, platform, theirs["id"])
    with pytest.raises(DBAPIError, match="row-level security"):
        async with db.unit_of_work() as session:
            await set_tenant(session, mine["id"])
            await session.execute(
                text(
                    "INSERT INTO units (id, tenant_id, code, name_ja, name_en, created_at, updated_at) "
                    "VALUES (gen_random_uuid(), :t, 'smuggled', 'x', 'x', now(), now())"
                ),
                {"t": theirs["id"]},
            )
    async with db.unit_of_work() as session:
        await set_tenant(session, mine["id"])
        moved = await session.execute(
            text("UPDATE units SET name_en = 'hijacked' WHERE id = :id"), {"id": foreign["id"]}
        )
        assert moved.rowcount == 0  # type: ignore[attr-defined]


async def test_guideline_history_cannot_be_rewritten_by_the_app(
    client: httpx.AsyncClient, platform: dict[str, str], db: Database
) -> None:
    from tests.support import ehime_document, record

    tenant = await create_tenant(client, platform)
    assert (await record(client, platform, tenant["id"], ehime_document())).status_code == 201
    for statement in ("UPDATE guideline_versions SET reason = 'rewritten'", "DELETE FROM guideline_versions"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.unit_of_work() as session:
                await set_tenant(session, tenant["id"])
                await session.execute(text(statement))


async def test_the_app_refuses_to_run_as_a_privileged_role(test_database: DatabaseUnderTest) -> None:
    from sqlalchemy.engine import make_url

    superuser = make_url(test_database.admin_url).set(database=test_database.name)
    privileged = Database(superuser.render_as_string(hide_password=False), pool_size=1)
    owner = Database(test_database.owner_url, pool_size=1)
    try:
        async with privileged.unit_of_work() as session:
            assert any("superuser" in p for p in await role_problems(session))
        async with owner.unit_of_work() as session:
            assert any("owns the tables" in p for p in await role_problems(session))
    finally:
        await privileged.dispose()
        await owner.dispose()


async def test_token_lookup_function_is_the_only_cross_tenant_door(test_database: DatabaseUnderTest) -> None:
    conn = await asyncpg.connect(test_database.app_url)
    try:
        # The app role sees no token rows without a tenant...
        assert await conn.fetchval("SELECT count(*) FROM api_tokens") == 0
        # ...and cannot become the definer role that may.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET ROLE koshiki_definer")
    finally:
        await conn.close()
