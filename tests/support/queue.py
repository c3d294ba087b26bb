"""The queue under test: relay the outbox and wait for the workers, until nothing moves."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from dramatiq.brokers.stub import StubBroker
from litestar import Litestar
from sqlalchemy import text

from service.kit.db import set_tenant


async def settle(app: Litestar, worker: Any, *, rounds: int = 50) -> None:
    """Relay the outbox and wait until every queue is empty and every worker idle, repeatedly,
    since actors queue more work (a deadline emits an event, an event a delivery, …)."""
    broker = app.state.broker

    def join() -> None:
        for queue in list(broker.get_declared_queues()):
            if isinstance(broker, StubBroker):
                broker.join(queue, timeout=20_000, fail_fast=False)
            elif hasattr(broker, "channel"):  # RabbitMQ: a few empty polls in a row
                broker.join(queue, min_successes=3, idle_time=30, timeout=20_000)
            else:
                broker.join(queue, timeout=20_000)
        worker.join()

    quiet = 0
    for _ in range(rounds):
        result = await app.state.relay.drain()
        await asyncio.to_thread(join)
        if result.sent == 0 and result.failed == 0 and not await _unsent(app):
            # Twice quiet in a row: a message in flight between a real broker and a worker
            # (fetched, not yet processed) would have shown up the second time.
            quiet += 1
            if quiet == 2:
                return
            await asyncio.sleep(0.05)
        else:
            quiet = 0
    raise AssertionError("the queue did not settle")


async def _unsent(app: Litestar) -> int:
    """Messages the relay could send: unsent within a day of the service's clock (a publishing
    retry's backoff included), and sent but unprocessed past their time to be sent again. The
    relay's own notion of time, so a test that moved the clock leaves nothing here that the relay
    cannot reach."""
    now = app.state.clock.now()
    async with app.state.db.engine.begin() as conn:
        return int(
            await conn.scalar(
                text(
                    "SELECT (SELECT count(*) FROM koshiki_outbox_claim(:soon, 1000) c WHERE NOT c.resent)"
                    " + (SELECT count(*) FROM koshiki_outbox_claim(:now, 1000) c WHERE c.resent)"
                ),
                {"soon": now + dt.timedelta(days=1), "now": now},
            )
            or 0
        )


def forget_queues(broker: Any, prefix: str) -> None:
    """Remove this run's queues from a shared broker."""
    for queue in list(broker.get_declared_queues()):
        if not queue.startswith(prefix):
            continue
        for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
            try:
                if hasattr(broker, "channel"):
                    broker.channel.queue_delete(name)
                elif hasattr(broker, "client"):
                    broker.client.delete(f"{broker.namespace}:{name}", f"{broker.namespace}:{name}.msgs")
            except Exception:  # noqa: S110 - best effort clean-up of a shared server
                pass


async def a_delivery(app: Any, worker: Any, tenant_id: str) -> str:
    """An event delivered (or attempted) to the tenant's endpoints; the id of one delivery."""
    from service.events.service import emit

    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        await emit(
            session,
            tenant_id=uuid.UUID(tenant_id),
            type="deadline.due",
            subject_kind="tenant",
            subject_id=tenant_id,
            data={"deadline_kind": "continuation_declaration", "due_on": "2027-03-31", "days_before": 7},
            now=app.state.clock.now(),
        )
    await settle(app, worker)
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        return str(await session.scalar(text("SELECT id FROM webhook_deliveries ORDER BY id DESC LIMIT 1")))


async def a_dead_letter(app: Any, worker: Any, tenant_id: str) -> str:
    from service.kit.queue import enqueue

    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        message = await enqueue(session, "always_fail", tenant_id=uuid.UUID(tenant_id), now=app.state.clock.now())
    await settle(app, worker)
    async with app.state.db.unit_of_work() as session:
        from service.kit.db import set_platform

        await set_platform(session)
        return str(await session.scalar(text("SELECT id FROM dead_letters WHERE message_id = :m"), {"m": str(message)}))
