"""The queue: Dramatiq actors fed through a PostgreSQL outbox.

- `enqueue()` writes a message into the `outbox` table inside the caller's transaction: it exists
  if and only if the change that caused it committed.
- The `Relay` publishes unsent outbox rows to the broker after commit (kicked by the unit of work
  that wrote them, and swept periodically by the scheduler). It marks a row sent only once the
  broker has confirmed it; a broker outage leaves rows waiting, with backoff, not lost.
- A row is settled only when a worker has processed its message (or the message died): the
  `Outcomes` middleware marks it. A row sent and not settled by its `resend_at` is sent again, so
  a message the broker lost (Redis restarted without persistence, a crash between publishing and
  marking) is delivered all the same; each resend doubles the wait before the next. Messages
  can therefore arrive twice, which is why every actor is idempotent (`once()`).
- Actors (declared by each domain's `tasks.register()`, see `service.kit.registry`) run in worker
  processes (`koshiki worker`) or, with no BROKER_URL, in the API process itself. Each message
  carries its tenant; `work()` re-enters it, so row-level security binds workers as it binds
  requests. Retries back off; a message that exhausts them is recorded in `dead_letters` and the
  actor's `on_dead` handler may mark its subject failed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import functools
import json
import logging
import traceback
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO, Middleware, Retries
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import Settings
from service.kit import registry
from service.kit.actor import acting_as, system
from service.kit.clock import Clock
from service.kit.db import Database, set_platform, set_tenant
from service.kit.ids import uuid7

log = logging.getLogger("koshiki.queue")

# ---- brokers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSettings:
    broker_url: str | None
    queue_prefix: str = ""
    min_backoff_ms: int = 5_000
    max_backoff_ms: int = 600_000
    redis_heartbeat_ms: int = 60_000
    resend_after_ms: int = 600_000

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueSettings:
        return cls(
            broker_url=settings.broker_url,
            queue_prefix=settings.queue_prefix,
            min_backoff_ms=settings.queue_min_backoff_ms,
            max_backoff_ms=settings.queue_max_backoff_ms,
            redis_heartbeat_ms=settings.redis_heartbeat_ms,
            resend_after_ms=settings.queue_resend_after_ms,
        )


_brokers: dict[QueueSettings, dramatiq.Broker] = {}


def broker_for(config: QueueSettings) -> dramatiq.Broker:
    """One broker per configuration and process. Publishing needs no more; a process that also
    consumes (a worker) calls `install()` on it."""
    if config not in _brokers:
        _brokers[config] = make_broker(config)
    return _brokers[config]


def make_broker(config: QueueSettings) -> dramatiq.Broker:
    url = config.broker_url or ""
    broker: dramatiq.Broker
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: a message counts as sent only once RabbitMQ has taken it.
        broker = RabbitmqBroker(url=url, confirm_delivery=True)
    elif url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=url,
            heartbeat_timeout=config.redis_heartbeat_ms,
            # Check for the messages of dead workers often enough that a short heartbeat matters.
            maintenance_chance=100_000 if config.redis_heartbeat_ms < 60_000 else 1000,
        )
    elif url in {"", "memory://"}:
        broker = StubBroker()
    else:
        raise ValueError(f"BROKER_URL must be amqp://, redis:// or unset, got {url.split('://')[0]}://…")
    broker.add_middleware(AsyncIO())
    # "after" hooks run in reverse order: placed before Retries, this one sees what Retries decided.
    broker.add_middleware(Outcomes(config), before=Retries)
    return broker


def install(broker: dramatiq.Broker, config: QueueSettings) -> dramatiq.Broker:
    """Declare the registry's actors on `broker`, for a process that consumes (a worker, or the API
    with its in-process workers): queue names prefixed, backoff from the settings."""
    dramatiq.set_broker(broker)
    for spec in registry.current().actors.values():
        dramatiq.actor(
            actor_name=spec.name,
            queue_name=config.queue_prefix + spec.queue,
            broker=broker,
            max_retries=spec.max_retries,
            min_backoff=config.min_backoff_ms,
            max_backoff=config.max_backoff_ms,
        )(spec.fn)
    return broker


# ---- the outbox -------------------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    actor: str,
    *,
    tenant_id: uuid.UUID | None,
    now: dt.datetime,
    delay: dt.timedelta | None = None,
    **kwargs: Any,
) -> uuid.UUID:
    """Queue a message as part of the current transaction."""
    queue = registry.current().actor_spec(actor).queue
    message_id = uuid7()
    payload = {**kwargs, "tenant_id": str(tenant_id) if tenant_id else None}
    await session.execute(
        text(
            "INSERT INTO outbox (id, tenant_id, queue, actor, kwargs, options, created_at, available_at) "
            "VALUES (:id, :tenant_id, :queue, :actor, CAST(:kwargs AS jsonb), '{}', :now, :at)"
        ),
        {
            "id": message_id,
            "tenant_id": tenant_id,
            "queue": queue,
            "actor": actor,
            "kwargs": json.dumps(payload, default=str),
            "now": now,
            "at": now + (delay or dt.timedelta()),
        },
    )
    session.info["outbox_written"] = True
    return message_id


@dataclass
class RelayResult:
    sent: int = 0
    failed: int = 0
    resent: int = 0


class AmqpPublisher:
    """Publishing to RabbitMQ with publisher confirms, many messages in flight at once.

    Dramatiq's own enqueue waits for each confirm before the next publish (about 2,000 messages/s
    here); pipelining a batch and awaiting all its confirms goes several times faster, with the
    same guarantee: a message counts as sent only once RabbitMQ has confirmed it. Queues are
    declared through Dramatiq's broker, so they have the arguments its consumers expect."""

    def __init__(self, url: str, broker: dramatiq.Broker) -> None:
        self.url = url
        self.broker = broker
        self._channel: Any = None
        self._connection: Any = None
        self._declared: set[str] = set()

    async def _ready(self) -> Any:
        import aio_pika

        if self._channel is None or self._channel.is_closed:
            if self._connection is not None:
                await self.close()
            self._connection = await aio_pika.connect(self.url, timeout=10)
            self._channel = await self._connection.channel(publisher_confirms=True)
        return self._channel

    async def publish(
        self, messages: list[tuple[int, dramatiq.Message[Any]]]
    ) -> tuple[list[int], list[int], str | None]:
        import aio_pika

        channel = await self._ready()
        for queue in {m.queue_name for _, m in messages} - self._declared:
            declare = functools.partial(self.broker.declare_queue, queue, ensure=True)  # type: ignore[call-arg]
            await asyncio.to_thread(declare)
            self._declared.add(queue)
        outcomes = await asyncio.gather(
            *(
                channel.default_exchange.publish(
                    aio_pika.Message(message.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    routing_key=message.queue_name,
                    mandatory=True,
                )
                for _, message in messages
            ),
            return_exceptions=True,
        )
        sent = [
            seq for (seq, _), outcome in zip(messages, outcomes, strict=True) if not isinstance(outcome, BaseException)
        ]
        failed = [
            seq for (seq, _), outcome in zip(messages, outcomes, strict=True) if isinstance(outcome, BaseException)
        ]
        error = next((f"{type(o).__name__}: {o}"[:500] for o in outcomes if isinstance(o, BaseException)), None)
        if failed:
            await self.close()  # start afresh next time
        return sent, failed, error

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()


class Relay:
    """Publishes the outbox. Safe to run in any number of processes at once (rows are claimed
    with SKIP LOCKED); each process publishes from one thread, so a broker connection is reused."""

    def __init__(
        self, db: Database, clock: Clock, broker: dramatiq.Broker, config: QueueSettings, *, batch: int = 500
    ) -> None:
        self.db = db
        self.clock = clock
        self.broker = broker
        self.prefix = config.queue_prefix
        self.resend_after = dt.timedelta(milliseconds=config.resend_after_ms)
        url = config.broker_url or ""
        self._amqp = AmqpPublisher(url, broker) if url.startswith(("amqp://", "amqps://")) else None
        self.batch = batch
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="koshiki-relay")
        self._running: asyncio.Task[Any] | None = None
        self._again = False
        self._closed = False

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        if self._amqp is not None:
            await self._amqp.close()
        self.close()

    def _message(self, row: Any) -> dramatiq.Message[Any]:
        return dramatiq.Message(
            queue_name=self.prefix + registry.current().actor_spec(row.actor).queue,
            actor_name=row.actor,
            args=(),
            kwargs=dict(row.kwargs),
            options=dict(row.options),
            message_id=str(row.id),
            message_timestamp=int(row.created_at.timestamp() * 1000),
        )

    def _publish_one_by_one(self, rows: list[Any]) -> tuple[list[int], list[int], str | None]:
        sent: list[int] = []
        for index, row in enumerate(rows):
            try:
                self.broker.enqueue(self._message(row))
            except Exception as exc:  # the broker is down or refused: the rest wait for a retry
                log.warning("relay could not publish: %s", exc)
                return sent, [r.seq for r in rows[index:]], f"{type(exc).__name__}: {exc}"[:500]
            sent.append(row.seq)
        return sent, [], None

    async def _publish(self, rows: list[Any]) -> tuple[list[int], list[int], str | None]:
        if self._amqp is None:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._publish_one_by_one, rows)
        try:
            return await self._amqp.publish([(row.seq, self._message(row)) for row in rows])
        except Exception as exc:  # no connection at all: everything waits for a retry
            log.warning("relay could not publish: %s", exc)
            await self._amqp.close()
            return [], [row.seq for row in rows], f"{type(exc).__name__}: {exc}"[:500]

    async def run_once(self) -> RelayResult:
        now = self.clock.now()
        async with self.db.engine.begin() as conn:
            rows = (
                await conn.execute(
                    text("SELECT * FROM koshiki_outbox_claim(:now, :limit)"), {"now": now, "limit": self.batch}
                )
            ).all()
            if not rows:
                return RelayResult()
            sent, failed, error = await self._publish(list(rows))
            attempts = max((r.attempts for r in rows), default=0)
            retry_at = now + dt.timedelta(seconds=min(300, 2 ** min(attempts, 8)))
            await conn.execute(
                text("SELECT koshiki_outbox_settle(:sent, :failed, :now, :retry_at, :error, :resend_after)"),
                {
                    "sent": sent,
                    "failed": failed,
                    "now": now,
                    "retry_at": retry_at,
                    "error": error,
                    "resend_after": self.resend_after,
                },
            )
        resent = sum(1 for r in rows if r.resent)
        if resent:
            log.warning("relay sent again %d message(s) not processed in time", resent, extra={"resent": resent})
        return RelayResult(len(sent), len(failed), resent)

    async def drain(self, *, max_rounds: int = 10_000) -> RelayResult:
        """Publish until nothing is left that can be published now."""
        total = RelayResult()
        for _ in range(max_rounds):
            result = await self.run_once()
            total.sent += result.sent
            total.failed += result.failed
            total.resent += result.resent
            if result.sent < self.batch or result.failed:
                break
        return total

    def kick(self) -> None:
        """Relay soon, without making the caller wait (coalesces bursts of commits)."""
        if self._closed:  # shutting down: the rows wait in the outbox for the next relay
            return
        if self._running is not None and not self._running.done():
            self._again = True
            return
        self._running = asyncio.get_running_loop().create_task(self._kicked())

    async def _kicked(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except Exception:  # the scheduler's periodic relay will try again
                log.exception("relay failed")
                return
            if not self._again:
                return


# ---- the worker side -----------------------------------------------------------------------------------


class Runtime:
    """What actors need in a worker process: the database, the clock, the relay for what they queue.

    The database is made on the event loop the actors run on (Dramatiq's AsyncIO thread)."""

    def __init__(self, settings: Settings, clock: Clock, broker: dramatiq.Broker) -> None:
        self.settings = settings
        self.clock = clock
        self.broker = broker
        self.config = QueueSettings.from_settings(settings)
        self._db: Database | None = None
        self._relay: Relay | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(
                self.settings.require_database_url(),
                # Every worker thread may hold a connection while its actor runs.
                pool_size=max(self.settings.db_pool_size, self.settings.worker_threads),
                max_overflow=self.settings.db_max_overflow,
                name="koshiki-worker",
                clock=self.clock,
            )
            self._relay = Relay(self._db, self.clock, self.broker, self.config)
            self._db.relay_kick = self._relay.kick
        return self._db

    @property
    def relay(self) -> Relay:
        _ = self.db
        assert self._relay is not None
        return self._relay

    async def close(self) -> None:
        if self._db is not None:
            await self._db.dispose()
            assert self._relay is not None
            await self._relay.aclose()
            self._db = None


_runtime: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the worker runtime is not configured (koshiki worker / the app's lifespan does it)")
    return _runtime


@asynccontextmanager
async def work(tenant_id: str | uuid.UUID | None, actor: str) -> AsyncIterator[AsyncSession]:
    """An actor's unit of work in its message's tenant (or at platform level), as `system:worker:…`."""
    rt = runtime()
    with acting_as(system(f"worker:{actor}")):
        async with rt.db.unit_of_work() as session:
            if tenant_id:
                await set_tenant(session, uuid.UUID(str(tenant_id)))
            else:
                await set_platform(session)
            yield session


async def once(session: AsyncSession, key: str, tenant_id: str | uuid.UUID | None, now: dt.datetime) -> bool:
    """Record a deed as done; False when it already was (a redelivered or duplicated message).

    Call it in the same transaction as the deed: both commit, or neither."""
    done = await session.scalar(
        text(
            "INSERT INTO deeds (key, tenant_id, done_at) VALUES (:key, :tenant_id, :now) "
            "ON CONFLICT (key) DO NOTHING RETURNING key"
        ),
        {"key": key, "tenant_id": uuid.UUID(str(tenant_id)) if tenant_id else None, "now": now},
    )
    return done is not None


class Outcomes(Middleware):
    """Settles a message's outbox row once the message is processed, or dead (recording the dead
    letter and calling its actor's `@on_dead` handler); puts off its resending while the broker
    holds it for a retry. A process that dies before settling leaves the row to be sent again."""

    def __init__(self, config: QueueSettings) -> None:
        # A retry comes back within the longest backoff; resending waits for that, and then some.
        self.retry_grace = dt.timedelta(milliseconds=config.max_backoff_ms + config.resend_after_ms)

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        if exception is None:
            self._run(_settle([message.message_id]), message)
        elif getattr(message, "failed", False):
            error = "".join(traceback.format_exception_only(type(exception), exception)).strip()[:2000]
            self._run(_record_dead(message, error), message)
        else:
            self._run(_defer(message.message_id, self.retry_grace), message)

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._run(_settle([message.message_id]), message)

    @staticmethod
    def _run(coroutine: Any, message: Any) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None or _runtime is None:
            coroutine.close()
            return
        try:
            loop_thread.run_coroutine(coroutine)
        except Exception:  # the row stays unsettled and is sent again later: at least once
            log.exception("could not settle message %s", message.message_id)


async def _settle(message_ids: list[str]) -> None:
    rt = runtime()
    async with rt.db.engine.begin() as conn:
        await conn.execute(
            text("SELECT koshiki_outbox_done(CAST(:ids AS uuid[]), :now)"), {"ids": message_ids, "now": rt.clock.now()}
        )


async def _defer(message_id: str, grace: dt.timedelta) -> None:
    rt = runtime()
    async with rt.db.engine.begin() as conn:
        await conn.execute(
            text("SELECT koshiki_outbox_defer(CAST(:id AS uuid), :at)"),
            {"id": message_id, "at": rt.clock.now() + grace},
        )


async def _record_dead(message: Any, error: str) -> None:
    rt = runtime()
    kwargs = dict(message.kwargs)
    tenant_id = kwargs.get("tenant_id")
    async with rt.db.unit_of_work() as session:
        await set_platform(session)
        await session.execute(
            text(
                "INSERT INTO dead_letters (id, tenant_id, message_id, queue, actor, kwargs, options, error, failed_at) "
                "VALUES (:id, :tenant_id, :message_id, :queue, :actor, CAST(:kwargs AS jsonb), CAST(:options AS jsonb), "
                ":error, :now)"
            ),
            {
                "id": uuid7(),
                "tenant_id": uuid.UUID(tenant_id) if tenant_id else None,
                "message_id": message.message_id,
                "queue": message.queue_name,
                "actor": message.actor_name,
                "kwargs": json.dumps(kwargs, default=str),
                "options": json.dumps({k: v for k, v in message.options.items() if k != "traceback"}, default=str),
                "error": error,
                "now": rt.clock.now(),
            },
        )
        await session.execute(
            text("SELECT koshiki_outbox_done(CAST(:ids AS uuid[]), :now)"),
            {"ids": [message.message_id], "now": rt.clock.now()},
        )
    spec = registry.current().actors.get(message.actor_name)
    handler = spec.on_dead if spec is not None else None
    if handler is not None:
        async with work(tenant_id, message.actor_name) as session:
            await handler(session, kwargs, error)
    log.error("message %s of %s is dead: %s", message.message_id, message.actor_name, error)
