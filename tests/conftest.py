"""Test harness: a real PostgreSQL, a fresh database per run, the app as the application role.

`TEST_DATABASE_URL` names a server and a superuser (CI: postgres@127.0.0.1:5432); without it the
embedded server under `.data/test-postgres` is started. Either way a database `koshiki_test_<hex>`
is created, bootstrapped with the three roles, migrated as the owner, and dropped at the end
(`KEEP_TEST_DATABASE=1` keeps it for inspection). Tests never stop or reconfigure the server.

Tests do not clean up after themselves: each makes its own tenants (random slugs), which is also
how the product is used, and isolation is exactly what tenants give.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from litestar import Litestar
from sqlalchemy import text

from service.app import create_app
from service.config import Settings, project_home
from service.kit.clock import FrozenClock
from service.kit.db import Database, set_platform
from service.kit.dbadmin import bootstrap, drop_database
from service.kit.embedded_pg import EmbeddedPostgres, free_port
from service.kit.migrate import upgrade_sync
from service.kit.permissions import Role, permissions_of
from service.tokens.service import issue_token

START = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DatabaseUnderTest:
    admin_url: str
    name: str
    app_url: str
    owner_url: str


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    server = EmbeddedPostgres(
        project_home() / ".data" / "test-postgres", int(os.environ.get("TEST_PG_PORT", "0")) or free_port()
    )
    server.start()
    try:
        yield server.admin_url()
    finally:
        if server.started_here:
            server.stop()


@pytest.fixture(scope="session")
def test_database(admin_url: str) -> Iterator[DatabaseUnderTest]:
    name = f"koshiki_test_{secrets.token_hex(4)}"
    app_url, owner_url = asyncio.run(bootstrap(admin_url, name))
    upgrade_sync(owner_url)
    try:
        yield DatabaseUnderTest(admin_url, name, app_url, owner_url)
    finally:
        if not os.environ.get("KEEP_TEST_DATABASE"):
            asyncio.run(drop_database(admin_url, name))


@pytest.fixture(scope="session")
def settings(test_database: DatabaseUnderTest) -> Settings:
    return Settings(
        database_url=test_database.app_url,
        migration_database_url=test_database.owner_url,
        environment="test",
        max_body_bytes=64 * 1024,
        cors_origins=("https://admin.example.jp",),
        secret_key=b"k" * 32,
        # OWASP's minimum for argon2id: real hashing, fast enough for hundreds of logins.
        password_time_cost=2,
        password_memory_kib=19456,
        password_parallelism=1,
        # TEST_BROKER_URL picks the broker (RabbitMQ, Redis); unset, the in-process one. Queues get
        # a per-run prefix so runs sharing a broker never see each other's messages.
        broker_url=os.environ.get("TEST_BROKER_URL") or None,
        queue_prefix=f"t{secrets.token_hex(3)}-",
        queue_min_backoff_ms=20,
        queue_max_backoff_ms=100,
        redis_heartbeat_ms=2000,
        # Tests drive the sweep and relay themselves; the workers run in the `worker` fixture.
        run_background=False,
        webhook_allow_private=True,  # the test receiver listens on 127.0.0.1
    )


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.require_database_url(), pool_size=5, name="koshiki-tests")
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(autouse=True)
def _reset_clock(clock: FrozenClock) -> None:
    clock.set(START)


@pytest.fixture(scope="module", autouse=True)
def _reset_clock_for_the_module(clock: FrozenClock) -> None:
    """Module fixtures are made before the first test's reset: without this they would issue tokens
    and schedule deadlines at whatever time the previous module's last test left the clock."""
    clock.set(START)


@pytest.fixture(autouse=True)
async def _fresh_login_throttle(db: Database) -> AsyncIterator[None]:
    """Every test client calls from 127.0.0.1 and the test clock restarts each test, so one test's
    failed logins would count against the next one's address. Start each test with none."""
    yield
    async with db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM login_throttle"))


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database, clock: FrozenClock, worker: Any) -> Litestar:
    return create_app(settings, db=db, clock=clock)


@pytest.fixture(scope="session")
def worker(settings: Settings, clock: FrozenClock) -> Iterator[Any]:
    """Dramatiq workers in this process, on the test broker, with the test clock."""
    import dramatiq
    from dramatiq.asyncio import get_event_loop_thread

    from service import tasks
    from service.kit.queue import QueueSettings, Runtime, broker_for, install, set_runtime

    tasks.load(("tests.actors",))
    config = QueueSettings.from_settings(settings)
    broker = install(broker_for(config), config)
    runtime = Runtime(settings, clock, broker)
    set_runtime(runtime)
    workers = dramatiq.Worker(broker, worker_threads=4, worker_timeout=50)
    workers.start()
    yield workers
    loop_thread = get_event_loop_thread()
    if loop_thread is not None:
        loop_thread.run_coroutine(runtime.close())
    workers.stop()
    set_runtime(None)
    _forget_queues(broker, config.queue_prefix)


def _forget_queues(broker: Any, prefix: str) -> None:
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


@pytest.fixture
async def time(app: Litestar, worker: Any) -> AsyncIterator[Any]:
    """Moves the service clock, then lets the scheduler and the workers catch up (`await time.to(…)`).
    Afterwards, what the test set going is finished at its own time, before the clock goes back."""
    from tests.registers import Time

    await settle(app, worker)
    yield Time(app, worker)
    await settle(app, worker)


async def _unsent(app: Litestar) -> int:
    """Messages the relay could send within a day of the service's clock (a retry's backoff
    included): the relay's own notion of time, so a test that moved the clock leaves nothing here
    that the relay cannot reach."""
    soon = app.state.clock.now() + dt.timedelta(days=1)
    async with app.state.db.engine.begin() as conn:
        return int(
            await conn.scalar(text("SELECT count(*) FROM koshiki_outbox_claim(:soon, 1000)"), {"soon": soon}) or 0
        )


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan plus an HTTP client, all on the test's own event loop.

    (Litestar's TestClient runs the app on a loop in another thread; the shared database pool
    belongs to this loop, so the app must run here too.)
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        task.cancel()
        raise RuntimeError(f"app did not start: {started}")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as http:
        yield http


async def make_token(
    db: Database,
    clock: FrozenClock,
    *,
    role: Role = Role.PLATFORM_OPERATOR,
    tenant_id: uuid.UUID | None = None,
    scopes: frozenset[str] | None = None,
    expires_in: dt.timedelta | None = dt.timedelta(days=1),
) -> str:
    async with db.unit_of_work() as session:
        await set_platform(session)
        from service.kit.db import set_tenant

        if tenant_id is not None:
            await set_tenant(session, tenant_id)
        _, secret = await issue_token(
            session,
            clock,
            role=role,
            tenant_id=tenant_id,
            name=f"test {role.value}",
            scopes=scopes if scopes is not None else permissions_of(role),
            expires_at=clock.now() + expires_in if expires_in else None,
            created_by="tests",
        )
    return secret


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture(scope="session")
async def platform_token(db: Database, clock: FrozenClock) -> str:
    return await make_token(db, clock, expires_in=dt.timedelta(days=3650))


@pytest.fixture
def platform(platform_token: str) -> dict[str, str]:
    return bearer(platform_token)


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


async def create_tenant(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "slug": unique_slug(),
        "name_ja": "テスト市",
        "name_en": "Test City",
        "kind": "municipality",
        **fields,
    }
    response = await client.post("/v1/tenants", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def tenant(client: httpx.AsyncClient, platform: dict[str, str]) -> dict[str, Any]:
    return await create_tenant(client, platform)


def preset_path(slug: str) -> Path:
    return project_home() / "tenants" / f"{slug}.json"


# ---- staff users ------------------------------------------------------------------------------


@dataclass
class Staff:
    """A logged-in user: their record, their current password and tokens."""

    user: dict[str, Any]
    password: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


STRONG_PASSWORD = "quiet-river-lantern-42"


async def create_user(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, roles: list[str], **fields: Any
) -> tuple[dict[str, Any], str]:
    login = unique_slug("u")
    body = {"login_id": login, "email": f"{login}@example.jp", "display_name": "テスト 職員", "roles": roles, **fields}
    response = await client.post(f"/v1/tenants/{tenant_id}/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["user"], created["temporary_password"]


async def login(client: httpx.AsyncClient, login_id: str, password: str) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"login": login_id, "password": password})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def staff(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, roles: list[str], **fields: Any
) -> Staff:
    """A user created by an administrator, logged in, past the first-login password change."""
    user, temporary = await create_user(client, headers, tenant_id, roles, **fields)
    first = await login(client, user["login_id"], temporary)
    assert first["password_change_required"] is True
    changed = await client.post(
        "/v1/me/password",
        json={"current_password": temporary, "new_password": STRONG_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    tokens = await login(client, user["login_id"], STRONG_PASSWORD)
    return Staff(user, STRONG_PASSWORD, tokens["access_token"], tokens["refresh_token"])
