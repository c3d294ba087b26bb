"""The queue backbone on real PostgreSQL, with the broker TEST_BROKER_URL names (in-process when unset;
CI runs this suite against RabbitMQ and against Redis too)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from service.deadlines.service import cancel, schedule
from service.kit.db import Database, set_platform, set_tenant
from service.kit.queue import enqueue
from service.scheduler import Scheduler
from tests.support import DatabaseUnderTest, actors, assert_problem, settle, staff

pytestmark = pytest.mark.backbone


@pytest.fixture
async def superuser(test_database: DatabaseUnderTest) -> Any:
    """A connection that sees every tenant, for checking what the application did."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from service.kit.db import async_url

    url = make_url(test_database.admin_url).set(database=test_database.name).render_as_string(hide_password=False)
    engine = create_async_engine(async_url(url))
    yield engine
    await engine.dispose()


async def scalar(engine: Any, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), params)


def scheduler(app: Any) -> Scheduler:
    return Scheduler(app.state.db, app.state.clock, app.state.relay, batch=100)


async def put(app: Any, tenant_id: str, actor: str, **kwargs: Any) -> uuid.UUID:
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        return await enqueue(session, actor, tenant_id=uuid.UUID(tenant_id), now=app.state.clock.now(), **kwargs)


# ---- the outbox ----------------------------------------------------------------------------------


async def test_a_rolled_back_change_sends_nothing(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any
) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with app.state.db.unit_of_work() as session:
            await set_tenant(session, uuid.UUID(tenant["id"]))
            await enqueue(session, "record_deed", tenant_id=uuid.UUID(tenant["id"]), now=app.state.clock.now(), key=key)
            raise RuntimeError("changed my mind")
    await settle(app, worker)
    assert await scalar(superuser, "SELECT count(*) FROM outbox WHERE kwargs->>'key' = :k", k=key) == 0
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key LIKE :k", k=f"%{key}%") == 0


async def test_a_message_runs_once_in_its_tenant(app: Any, worker: Any, tenant: dict[str, Any], superuser: Any) -> None:
    key = uuid.uuid4().hex
    await put(app, tenant["id"], "record_deed", key=key)
    await settle(app, worker)
    assert (
        await scalar(superuser, "SELECT count(*) FROM outbox WHERE kwargs->>'key' = :k AND sent_at IS NULL", k=key) == 0
    )
    logged = await scalar(superuser, "SELECT message_id FROM deeds WHERE key LIKE :k", k=f"log:{key}:%")
    # The actor saw exactly its own tenant's row: row-level security held in the worker.
    assert logged == tenant["slug"]
    # Processed, so settled: it will not be sent again.
    assert await scalar(superuser, "SELECT settled_at IS NOT NULL FROM outbox WHERE kwargs->>'key' = :k", k=key)


async def test_a_message_the_broker_lost_is_sent_again_once_overdue(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any, settings: Any
) -> None:
    """The broker confirmed the message, then lost it (Redis without persistence, restarted)."""
    key = uuid.uuid4().hex
    now = app.state.clock.now()
    resend_after = dt.timedelta(milliseconds=settings.queue_resend_after_ms)
    async with superuser.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (id, tenant_id, queue, actor, kwargs, created_at, available_at, sent_at, sends,"
                " resend_at) VALUES (:id, :tenant, 'tests', 'record_deed', CAST(:kwargs AS jsonb), :now, :now, :now,"
                " 1, :resend_at)"
            ),
            {
                "id": uuid.uuid4(),
                "tenant": uuid.UUID(tenant["id"]),
                "kwargs": json.dumps({"key": key, "tenant_id": tenant["id"]}),
                "now": now,
                "resend_at": now + resend_after,
            },
        )
    await settle(app, worker)
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key LIKE :k", k=f"log:{key}:%") == 0
    app.state.clock.advance(resend_after + dt.timedelta(seconds=1))
    await settle(app, worker)
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key LIKE :k", k=f"log:{key}:%") == 1
    assert await scalar(superuser, "SELECT sends FROM outbox WHERE kwargs->>'key' = :k", k=key) == 2
    assert await scalar(superuser, "SELECT settled_at IS NOT NULL FROM outbox WHERE kwargs->>'key' = :k", k=key)


async def test_the_same_message_delivered_twice_is_one_deed(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any
) -> None:
    key = uuid.uuid4().hex
    message_id = await put(app, tenant["id"], "record_deed", key=key)
    await settle(app, worker)
    # The broker hands the very same message over again (a redelivery after a lost ack).
    row = await scalar(superuser, "SELECT kwargs FROM outbox WHERE id = :id", id=message_id)
    import dramatiq

    actor = dramatiq.get_broker().get_actor("record_deed")
    for _ in range(2):
        app.state.broker.enqueue(
            dramatiq.Message(
                queue_name=actor.queue_name,
                actor_name="record_deed",
                args=(),
                kwargs=row,
                options={},
                message_id=str(message_id),
            )
        )
    # …and a second outbox row for the same deed (a retried request that queued it again).
    await put(app, tenant["id"], "record_deed", key=key)
    await settle(app, worker)
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key LIKE :k", k=f"log:{key}:%") == 1


async def test_retries_thena_dead_letter_for_platform_operators(
    app: Any,
    worker: Any,
    tenant: dict[str, Any],
    client: httpx.AsyncClient,
    platform: dict[str, str],
    superuser: Any,
) -> None:
    message_id = await put(app, tenant["id"], "always_fail", reason=f"broken-{uuid.uuid4().hex[:6]}")
    await settle(app, worker)
    listed = (await client.get("/v1/dead-letters?limit=200", headers=platform)).json()["items"]
    dead = next(d for d in listed if d["message_id"] == str(message_id))
    assert dead["actor"] == "always_fail"
    assert "broken-" in dead["error"]
    assert dead["tenant_id"] == tenant["id"]
    # Dead, so settled: it is not sent again behind the operators' backs.
    assert await scalar(superuser, "SELECT settled_at IS NOT NULL FROM outbox WHERE id = :id", id=message_id)
    admin = await staff(client, platform, tenant["id"], ["general_administrator"])
    assert_problem(await client.get("/v1/dead-letters", headers=admin.headers), 403, "forbidden")


# ---- deadlines -------------------------------------------------------------------------------------


async def make_deadline(app: Any, tenant_id: str, kind: str, due_at: dt.datetime, key: str | None = None) -> str:
    key = key or uuid.uuid4().hex
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant_id))
        created = await schedule(
            session,
            tenant_id=uuid.UUID(tenant_id),
            kind=kind,
            subject_kind="test",
            subject_id=key,
            due_at=due_at,
            dedupe_key=key,
            now=app.state.clock.now(),
        )
        assert created
        again = await schedule(
            session,
            tenant_id=uuid.UUID(tenant_id),
            kind=kind,
            subject_kind="test",
            subject_id=key,
            due_at=due_at,
            dedupe_key=key,
            now=app.state.clock.now(),
        )
        assert not again, "scheduling twice makes one deadline"
        return str(await session.scalar(text("SELECT id FROM deadlines WHERE dedupe_key = :k"), {"k": key}))


async def deadline_state(superuser: Any, deadline_id: str) -> str:
    return str(await scalar(superuser, "SELECT state FROM deadlines WHERE id = :id", id=uuid.UUID(deadline_id)))


async def test_due_deadlines_run_once_and_others_wait(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any
) -> None:
    now = app.state.clock.now()
    due = [await make_deadline(app, tenant["id"], "test.record", now - dt.timedelta(minutes=m)) for m in (1, 60)]
    later = await make_deadline(app, tenant["id"], "test.record", now + dt.timedelta(days=1))
    withdrawn = await make_deadline(
        app, tenant["id"], "test.record", now - dt.timedelta(minutes=5), key="withdrawn-" + uuid.uuid4().hex
    )
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant["id"]))
        subject = await session.scalar(
            text("SELECT subject_id FROM deadlines WHERE id = :id"), {"id": uuid.UUID(withdrawn)}
        )
        await cancel(session, tenant_id=uuid.UUID(tenant["id"]), subject_kind="test", subject_id=subject, now=now)
    assert await scheduler(app).sweep() >= 2
    await settle(app, worker)
    for deadline_id in due:
        assert await deadline_state(superuser, deadline_id) == "done"
        assert (
            await scalar(superuser, "SELECT count(*) FROM deeds WHERE key = :k", k=f"deadline-ran:{deadline_id}") == 1
        )
    assert await deadline_state(superuser, later) == "pending"
    assert await deadline_state(superuser, withdrawn) == "cancelled"
    # Sweeping again changes nothing; moving the clock runs the later one.
    await scheduler(app).sweep()
    await settle(app, worker)
    assert await deadline_state(superuser, later) == "pending"
    app.state.clock.advance(dt.timedelta(days=1, seconds=1))
    await scheduler(app).sweep()
    await settle(app, worker)
    assert await deadline_state(superuser, later) == "done"
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key = :k", k=f"deadline-ran:{withdrawn}") == 0


async def test_concurrent_sweeps_claim_each_deadline_once(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any, settings: Any, clock: Any
) -> None:
    now = app.state.clock.now()
    ids = [await make_deadline(app, tenant["id"], "test.record", now - dt.timedelta(seconds=i)) for i in range(150)]
    other_db = Database(settings.require_database_url(), pool_size=2, clock=clock)
    try:
        first = Scheduler(app.state.db, clock, app.state.relay, batch=40)
        second = Scheduler(other_db, clock, app.state.relay, batch=40)
        claimed = await asyncio.gather(first.sweep(), second.sweep())
    finally:
        await other_db.dispose()
    assert sum(claimed) >= 150
    queued = await scalar(
        superuser,
        "SELECT count(*) FROM outbox, jsonb_array_elements_text(kwargs->'deadline_ids') AS queued(id) "
        "WHERE actor = 'run_deadlines' AND queued.id::uuid = ANY(:ids)",
        ids=[uuid.UUID(i) for i in ids],
    )
    assert queued == 150, "each deadline queued exactly once"
    await settle(app, worker)
    assert (
        await scalar(
            superuser,
            "SELECT count(*) FROM deadlines WHERE id = ANY(:ids) AND state = 'done'",
            ids=[uuid.UUID(i) for i in ids],
        )
        == 150
    )


async def test_a_deadline_whose_message_was_lost_is_queued_again(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any
) -> None:
    now = app.state.clock.now()
    deadline_id = await make_deadline(app, tenant["id"], "test.record", now - dt.timedelta(hours=1))
    # Queued an hour ago, but its message never arrived (the broker lost it).
    async with superuser.begin() as conn:
        await conn.execute(
            text("UPDATE deadlines SET state = 'queued', queued_at = :at WHERE id = :id"),
            {"at": now - dt.timedelta(hours=1), "id": uuid.UUID(deadline_id)},
        )
    assert await scheduler(app).sweep() >= 1
    await settle(app, worker)
    assert await deadline_state(superuser, deadline_id) == "done"
    assert await scalar(superuser, "SELECT count(*) FROM deeds WHERE key = :k", k=f"deadline-ran:{deadline_id}") == 1


async def test_a_failing_deadline_is_marked_failed_and_can_be_retried(
    app: Any, worker: Any, tenant: dict[str, Any], superuser: Any, client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    actors.FAILING["on"] = True
    deadline_id = await make_deadline(app, tenant["id"], "test.fail", app.state.clock.now() - dt.timedelta(minutes=1))
    await scheduler(app).sweep()
    await settle(app, worker)
    assert await deadline_state(superuser, deadline_id) == "failed"
    row = (await client.get(f"/v1/tenants/{tenant['id']}/deadlines?state=failed", headers=platform)).json()["items"]
    failed = next(d for d in row if d["id"] == deadline_id)
    assert failed["attempts"] >= 1
    assert "the handler failed" in failed["last_error"]
    letters = (await client.get("/v1/dead-letters?limit=200", headers=platform)).json()["items"]
    letter = next(d for d in letters if deadline_id in d["kwargs"].get("deadline_ids", []))
    actors.FAILING["on"] = False
    retried = await client.post(f"/v1/dead-letters/{letter['id']}/retry", headers=platform)
    assert retried.status_code == 202, retried.text
    await settle(app, worker)
    assert await deadline_state(superuser, deadline_id) == "done"
    assert_problem(await client.post(f"/v1/dead-letters/{letter['id']}/retry", headers=platform), 409, "conflict")


async def test_one_scheduler_leads_at_a_time(app: Any, settings: Any, clock: Any) -> None:
    other_db = Database(settings.require_database_url(), pool_size=2, clock=clock)
    name = f"test-{uuid.uuid4().hex[:6]}"
    first = Scheduler(app.state.db, clock, app.state.relay, lease_name=name)
    second = Scheduler(other_db, clock, app.state.relay, lease_name=name)
    try:
        assert (await first.tick()).leader
        assert not (await second.tick()).leader
        await first.resign()
        assert (await second.tick()).leader
    finally:
        await first.resign()
        await second.resign()
        await other_db.dispose()


async def test_the_sweep_stops_when_asked(app: Any, settings: Any, clock: Any) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(Scheduler(app.state.db, clock, app.state.relay, interval=0.05).run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(running, timeout=5)


async def test_no_tenant_set_means_no_deadlines_even_for_the_app(app: Any, tenant: dict[str, Any]) -> None:
    await make_deadline(app, tenant["id"], "test.record", app.state.clock.now() + dt.timedelta(days=9))
    async with app.state.db.unit_of_work() as session:
        assert await session.scalar(text("SELECT count(*) FROM deadlines")) == 0
        await set_platform(session)
        assert await session.scalar(text("SELECT count(*) FROM deadlines")) == 0
