"""The one query the probes make: the database's migration revision."""

from __future__ import annotations

from sqlalchemy import text

from service.kit.db import Database


async def database_revision(db: Database) -> str | None:
    """The revision the database is migrated to (None: not migrated at all), on a connection of its own."""
    async with db.engine.connect() as conn:
        revision: str | None = (
            await conn.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar_one_or_none()
    return revision
