"""Creating the database and its three roles on a server, given an administrator's URL.

- `koshiki_owner`  (LOGIN)   owns the schema; migrations run as it.
- `koshiki_app`    (LOGIN)   the application and workers; plain DML, bound by row-level security.
- `koshiki_definer` (NOLOGIN) owns the few SECURITY DEFINER functions that must look across
  tenants (token authentication, login, public verification); the policies name it.

Idempotent, and serialised with an advisory lock so parallel test runs can share a server.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from service.kit.db import APP_ROLE, DEFINER_ROLE

OWNER_ROLE = "koshiki_owner"
_LOCK_KEY = 0x6B6F7368  # "kosh"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def role_url(admin_url: str, role: str, database: str, password: str | None = None) -> str:
    url = make_url(admin_url).set(drivername="postgresql", username=role, password=password, database=database)
    return url.render_as_string(hide_password=False)


async def _ensure_role(conn: asyncpg.Connection, role: str, login: bool, password: str | None) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    options = ("LOGIN" if login else "NOLOGIN") + " NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    if password:
        options += f" PASSWORD {_quote_literal(password)}"
    verb = "ALTER" if exists else "CREATE"
    await conn.execute(f"{verb} ROLE {_quote_ident(role)} {options}")


async def bootstrap(
    admin_url: str,
    database: str,
    *,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> tuple[str, str]:
    """Create roles and database when missing. Returns (application URL, owner URL)."""
    admin = make_url(admin_url)
    conn = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await _ensure_role(conn, OWNER_ROLE, True, owner_password)
            await _ensure_role(conn, APP_ROLE, True, app_password)
            await _ensure_role(conn, DEFINER_ROLE, False, None)
            member = await conn.fetchval("SELECT pg_has_role($1, $2, 'MEMBER')", OWNER_ROLE, DEFINER_ROLE)
            if not member:
                await conn.execute(f"GRANT {DEFINER_ROLE} TO {OWNER_ROLE}")
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
                await conn.execute(f"CREATE DATABASE {_quote_ident(database)} OWNER {OWNER_ROLE} ENCODING 'UTF8'")
            await conn.execute(f"REVOKE ALL ON DATABASE {_quote_ident(database)} FROM PUBLIC")
            await conn.execute(
                f"GRANT CONNECT, TEMPORARY ON DATABASE {_quote_ident(database)} TO {OWNER_ROLE}, {APP_ROLE}"
            )
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()

    # Inside the new database: the owner owns the schema, nobody else may create in it.
    inner = await asyncpg.connect(
        admin.set(drivername="postgresql", database=database).render_as_string(hide_password=False)
    )
    try:
        await inner.execute(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}")
        await inner.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        await inner.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        # The definer owns functions in the schema, which PostgreSQL only allows with CREATE on it.
        await inner.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {DEFINER_ROLE}")
    finally:
        await inner.close()
    return (
        role_url(admin_url, APP_ROLE, database, app_password),
        role_url(admin_url, OWNER_ROLE, database, owner_password),
    )


async def drop_database(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(database)} WITH (FORCE)")
    finally:
        await conn.close()
