"""The scheduler's leader: its lock held on a connection that is not left inside a transaction."""

from __future__ import annotations

import secrets

from sqlalchemy import text

from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from service.kit.queue import QueueSettings, Relay, broker_for
from service.scheduler import Scheduler


async def test_the_leader_holds_its_lock_without_an_open_transaction(
    settings: Settings, db: Database, clock: FrozenClock
) -> None:
    """A leader "idle in transaction" for its whole life is killed by any server with an
    idle_in_transaction_session_timeout, and leadership flaps; an autocommit connection is idle."""
    name = f"koshiki-leader-{secrets.token_hex(3)}"
    own = Database(settings.require_database_url(), pool_size=2, name=name, clock=clock)
    config = QueueSettings.from_settings(settings)
    scheduler = Scheduler(own, clock, Relay(own, clock, broker_for(config), config))
    try:
        assert await scheduler._lead(), "another scheduler of this database holds the leader lock"
        async with db.engine.begin() as conn:
            states = (
                (
                    await conn.execute(
                        text("SELECT state FROM pg_stat_activity WHERE application_name = :name"), {"name": name}
                    )
                )
                .scalars()
                .all()
            )
        assert states, "the leader's connection is not in pg_stat_activity"
        assert "idle in transaction" not in states, states
        assert await scheduler._lead()  # renewing needs no transaction either
    finally:
        await scheduler.resign()
        await own.dispose()
