"""Alembic, driven from code: `koshiki migrate`, `make run` and the test harness all come here."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import project_home
from service.kit.db import plain_url


def alembic_config(url: str, home: Path | None = None) -> Config:
    root = home or project_home()
    config = Config()
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("prepend_sys_path", str(root))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolation: a literal % (e.g. in a password) must be doubled.
    config.set_main_option("sqlalchemy.url", plain_url(url).replace("%", "%%"))
    return config


def upgrade_sync(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


async def upgrade(url: str) -> None:
    # Alembic's env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, url)


def head_revision(home: Path | None = None) -> str | None:
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused/unused", home))
    return script.get_current_head()


async def database_revision(session: AsyncSession) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    try:
        async with session.begin_nested():
            return (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
    except ProgrammingError:
        return None
