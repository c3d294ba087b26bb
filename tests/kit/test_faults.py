"""Fault tests of the queue: a worker killed mid-deed or mid-batch, a broker that goes away, or
restarts with a backlog and keeps it (RabbitMQ, Redis with AOF) or loses it (Redis without
persistence). Each uses a broker the test starts itself on free ports (never the machine's shared
one) and real `koshiki worker` processes, and reports its figures (tests/support/figures.py)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from service.kit.clock import SystemClock
from service.kit.db import Database, set_tenant
from service.kit.queue import QueueSettings, Relay, enqueue, make_broker
from tests.support import DatabaseUnderTest
from tests.support.figures import report
from tests.support.processes import ServiceProcesses
from tests.support.servers import ThrowawayRabbitMQ, ThrowawayRedis

pytestmark = pytest.mark.slow


BROKERS: dict[str, Callable[[Path], Any]] = {
    "redis-volatile": ThrowawayRedis,
    "redis-aof": partial(ThrowawayRedis, aof=True),
    "rabbitmq": ThrowawayRabbitMQ,
}
RESEND_AFTER_MS = 15000


@pytest.fixture
def broker_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Redis without persistence unless the test is parametrized with another of BROKERS."""
    server = BROKERS[getattr(request, "param", "redis-volatile")](tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def faulty(test_database: DatabaseUnderTest, broker_server: Any, tenant: dict[str, Any]) -> Any:
    """A separate 'API process': its own database pool and a relay to the throwaway broker, which
    sends again what was not processed within RESEND_AFTER_MS."""
    prefix = f"f{secrets.token_hex(3)}-"
    config = QueueSettings(broker_url=broker_server.url, queue_prefix=prefix, resend_after_ms=RESEND_AFTER_MS)
    db = Database(test_database.app_url, pool_size=2)
    # No relay after each commit here: the tests relay by hand, so what they assert about a relay
    # run is not raced by one a commit started.
    relay = Relay(db, SystemClock(), make_broker(config), config)
    workers = ServiceProcesses(test_database.app_url, broker_server.url, prefix)
    yield {"db": db, "relay": relay, "workers": workers, "tenant": uuid.UUID(tenant["id"]), "broker": broker_server}
    workers.stop_all()
    await relay.aclose()
    await db.dispose()
    # Messages meant for the throwaway broker that a failed test left unsettled would otherwise stall
    # every later test that waits for the shared outbox to empty.
    owner = make_url(test_database.admin_url).set(database=test_database.name)
    conn = await asyncpg.connect(owner.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute("DELETE FROM outbox WHERE tenant_id = $1 AND settled_at IS NULL", uuid.UUID(tenant["id"]))
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
    db, tenant, workers, redis_server = faulty["db"], faulty["tenant"], faulty["workers"], faulty["broker"]
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


# ---- a backlog through a restart, a batch through a kill -9 -------------------------------------


async def queue_deeds(db: Database, tenant_id: uuid.UUID, keys: list[str], sleep: float = 0.0) -> None:
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        for key in keys:
            await enqueue(session, "record_deed", tenant_id=tenant_id, now=SystemClock().now(), key=key, sleep=sleep)


async def tally(db: Database, tenant_id: uuid.UUID, keys: list[str]) -> dict[str, int]:
    """How the messages of these deeds fared: done, done more than once, sends, rows unsettled."""
    async with db.unit_of_work() as session:
        await set_tenant(session, tenant_id)
        row = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM deeds WHERE key = ANY(:done)) AS done,"
                    " (SELECT count(*) FROM deeds WHERE key LIKE ANY(:logged)) AS logged,"
                    " (SELECT coalesce(sum(sends), 0) FROM outbox WHERE kwargs->>'key' = ANY(:keys)) AS sends,"
                    " (SELECT count(*) FROM outbox WHERE kwargs->>'key' = ANY(:keys) AND settled_at IS NULL)"
                    " AS unsettled"
                ),
                {
                    "done": [f"test:{k}" for k in keys],
                    "logged": [f"log:{k}:%" for k in keys],
                    "keys": keys,
                },
            )
        ).one()
    return {"done": row.done, "doubled": row.logged - row.done, "sends": row.sends, "unsettled": row.unsettled}


async def run_to_the_end(faulty: Any, keys: list[str], seconds: float) -> tuple[dict[str, int], float]:
    """Relay (as the scheduler does) until every deed is done and every row settled."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        await faulty["relay"].drain()
        counts = await tally(faulty["db"], faulty["tenant"], keys)
        if counts["done"] == len(keys) and counts["unsettled"] == 0:
            break
        await asyncio.sleep(0.3)
    elapsed = time.monotonic() - started
    await asyncio.sleep(1)  # room for a late duplicate to show up, if there were one
    return await tally(faulty["db"], faulty["tenant"], keys), elapsed


@pytest.mark.parametrize("broker_server", sorted(BROKERS), indirect=True)
async def test_a_broker_restarted_with_a_backlog_loses_no_message(
    faulty: Any, broker_server: Any, request: pytest.FixtureRequest
) -> None:
    """Messages sent, waiting in the broker, and the broker restarted: RabbitMQ and Redis with AOF
    keep them; Redis without persistence loses them, and the relay sends them again once they are
    overdue. Either way each deed is done once and every outbox row ends settled."""
    db, tenant, workers = faulty["db"], faulty["tenant"], faulty["workers"]
    keys = [uuid.uuid4().hex for _ in range(200)]
    await queue_deeds(db, tenant, keys, sleep=0.02)
    assert (await faulty["relay"].drain()).sent == len(keys)
    workers.worker(threads=2)
    assert await wait_for(lambda: _at_least(db, tenant, keys, 20), 60), "the worker never started"
    before = (await tally(db, tenant, keys))["done"]
    broker_server.stop()
    broker_server.start()
    counts, elapsed = await run_to_the_end(faulty, keys, 120)
    kind = request.node.callspec.params["broker_server"]
    report(
        f"{kind} restarted with a backlog of {len(keys) - before}",
        operations=len(keys),
        lost=len(keys) - counts["done"],
        doubled=counts["doubled"],
        stuck=counts["unsettled"],
        sent_again=counts["sends"] - len(keys),
        seconds_to_finish=elapsed,
    )
    assert counts["done"] == len(keys), counts
    assert counts["doubled"] == 0, counts
    assert counts["unsettled"] == 0, counts


async def test_a_worker_killed_mid_batch_leaves_nothing_undone_or_done_twice(faulty: Any) -> None:
    db, tenant, workers = faulty["db"], faulty["tenant"], faulty["workers"]
    keys = [uuid.uuid4().hex for _ in range(200)]
    await queue_deeds(db, tenant, keys, sleep=0.05)
    first = workers.worker(threads=4)
    assert (await faulty["relay"].drain()).sent == len(keys)
    assert await wait_for(lambda: _at_least(db, tenant, keys, 30), 60), "the worker never started"
    workers.kill(first)  # kill -9 with deeds in hand and more prefetched
    killed_at = (await tally(db, tenant, keys))["done"]
    workers.worker(threads=4)
    counts, elapsed = await run_to_the_end(faulty, keys, 120)
    report(
        f"worker killed (kill -9) after {killed_at} of a batch",
        operations=len(keys),
        lost=len(keys) - counts["done"],
        doubled=counts["doubled"],
        stuck=counts["unsettled"],
        sent_again=counts["sends"] - len(keys),
        seconds_to_finish=elapsed,
    )
    assert counts["done"] == len(keys), counts
    assert counts["doubled"] == 0, counts
    assert counts["unsettled"] == 0, counts


async def _at_least(db: Database, tenant: uuid.UUID, keys: list[str], n: int) -> bool:
    return (await tally(db, tenant, keys))["done"] >= n
