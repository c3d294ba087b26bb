"""The one query the probes make: the database's migration revision, and whether it takes writes."""

from __future__ import annotations

from service.kit.db import Database

_STATE = "SELECT (SELECT version_num FROM alembic_version) AS revision, pg_is_in_recovery() AS recovering"


async def database_state(db: Database) -> tuple[str | None, bool]:
    """The revision the database is migrated to (None: not migrated at all), and whether the server
    is in recovery (a standby, or a primary still replaying its log: it takes no writes). Asked on
    a new connection, not a pooled one: a server shutting down or starting up refuses new sessions
    while the pooled ones may still answer, and the app needs new ones."""
    [row] = await db.fetch_on_new_connection(_STATE)
    return row["revision"], bool(row["recovering"])
