"""Fault tests: a worker killed mid-deed, a broker that goes away. Each uses a Redis server the test
starts itself on a free port (never the machine's shared one) and real `koshiki worker` processes."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from service.kit.clock import SystemClock
from service.kit.db import Database, set_tenant
from service.kit.embedded_pg import free_port
from service.kit.queue import QueueSettings, Relay, enqueue, make_broker
from tests.support import DatabaseUnderTest
from tests.support.processes import ServiceProcesses

pytestmark = pytest.mark.slow


class ThrowawayRedis:
    def __init__(self, directory: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("the throwaway redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def faulty(test_database: DatabaseUnderTest, redis_server: ThrowawayRedis, tenant: dict[str, Any]) -> Any:
    """A separate 'API process': its own database pool and a relay to the throwaway broker."""
    prefix = f"f{secrets.token_hex(3)}-"
    config = QueueSettings(broker_url=redis_server.url, queue_prefix=prefix)
    db = Database(test_database.app_url, pool_size=2)
    # No relay after each commit here: the tests relay by hand, so what they assert about a relay
    # run is not raced by one a commit started.
    relay = Relay(db, SystemClock(), make_broker(config), config)
    workers = ServiceProcesses(test_database.app_url, redis_server.url, prefix)
    yield {"db": db, "relay": relay, "workers": workers, "tenant": uuid.UUID(tenant["id"]), "redis": redis_server}
    workers.stop_all()
    await relay.aclose()
    await db.dispose()
    # Messages meant for the throwaway broker that a failed test left unsent would otherwise stall
    # every later test that waits for the shared outbox to empty.
    owner = make_url(test_database.admin_url).set(database=test_database.name)
    conn = await asyncpg.connect(owner.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("DELETE FROM outbox WHERE tenant_id = $1 AND sent_at IS NULL", uuid.UUID(tenant["id"]))
    finally:
        await conn.close()


async def queue_deed(db: Database, tenant_id: uuid.UUID, key: str, sleep: float = 0.0) -> None:
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        await enqueue(session, "record_deed", tenant_id=tenant_id, now=SystemClock().now(), key=key, sleep=sleep)


async def deeds(db: Database, tenant_id: uuid.UUID, key: str) -> int:
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        return int(
            await session.scalar(text("SELECT count(*) FROM deeds WHERE key LIKE :k"), {"k": f"log:{key}:%"}) or 0
        )


async def wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_worker_killed_mid_deed_completes_it_once_after_restart(faulty: Any) -> None:
    db, tenant, workers = faulty["db"], faulty["tenant"], faulty["workers"]
    key = uuid.uuid4().hex
    first = workers.worker()
    await queue_deed(db, tenant, key, sleep=4.0)
    await faulty["relay"].drain()
    await asyncio.sleep(2.5)  # the worker has taken the message and is in the middle of it
    workers.kill(first)  # kill -9: no ack, no clean-up
    assert await deeds(db, tenant, key) == 0
    workers.worker()
    assert await wait_for(lambda: _done(db, tenant, key), 60), "the deed was never completed"
    await asyncio.sleep(3)  # room for a duplicate to show up, if there were one
    assert await deeds(db, tenant, key) == 1


async def _done(db: Database, tenant: uuid.UUID, key: str) -> bool:
    return await deeds(db, tenant, key) >= 1


async def test_changes_made_while_the_broker_is_down_are_delivered_once_it_returns(faulty: Any) -> None:
    db, tenant, workers, redis_server = faulty["db"], faulty["tenant"], faulty["workers"], faulty["redis"]
    workers.worker()
    redis_server.stop()
    keys = [uuid.uuid4().hex for _ in range(3)]
    for key in keys:  # the changes commit; publishing them fails
        await queue_deed(db, tenant, key)
    result = await faulty["relay"].run_once()
    assert result.sent == 0
    assert result.failed >= 1
    redis_server.start()
    relayed = 0
    for _ in range(60):  # the relay retries with backoff until the broker takes everything
        relayed += (await faulty["relay"].drain()).sent
        if relayed >= 3:
            break
        await asyncio.sleep(0.5)
    assert relayed == 3
    for key in keys:
        assert await wait_for(lambda key=key: _done(db, tenant, key), 60), key
    await asyncio.sleep(1)
    assert [await deeds(db, tenant, key) for key in keys] == [1, 1, 1]
