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
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text

from service.app import create_app
from service.config import Settings, project_home
from service.kit.clock import FrozenClock
from service.kit.db import Database
from service.kit.dbadmin import bootstrap, drop_database
from service.kit.embedded_pg import EmbeddedPostgres, free_port
from service.kit.migrate import upgrade_sync
from tests.support import START, DatabaseUnderTest, bearer, create_tenant, forget_queues, make_token, serving, settle

# Every process of the suite (the app, the in-process workers, CLI commands run in-process by
# CliRunner, which bootstrap from the environment) registers the test actors too: without this, a
# CLI test would replace the registry and leave the later tests' actors undeclared.
os.environ.setdefault("KOSHIKI_EXTRA_MODULES", "tests.support.actors")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault tests' figures, together at the end of the run."""
    from tests.support.figures import FIGURES

    if FIGURES:
        terminalreporter.section("fault figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


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


@pytest.fixture
async def own_database(admin_url: str) -> AsyncIterator[tuple[str, str]]:
    """A database of its own, migrated and empty: for a test whose processes sweep every due deadline,
    or that needs a server as fresh as a new installation."""
    name = f"koshiki_test_{secrets.token_hex(4)}"
    app_url, owner_url = await bootstrap(admin_url, name)
    await asyncio.to_thread(upgrade_sync, owner_url)
    yield app_url, owner_url
    await drop_database(admin_url, name)


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
        extra_modules=("tests.support.actors",),
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

    from service.bootstrap import bootstrap as bootstrap_process
    from service.kit.queue import QueueSettings, Runtime, broker_for, install, set_runtime

    bootstrap_process(settings.extra_modules)
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
    forget_queues(broker, config.queue_prefix)


@pytest.fixture
async def time(app: Litestar, worker: Any) -> AsyncIterator[Any]:
    """Moves the service clock, then lets the scheduler and the workers catch up (`await time.to(…)`).
    Afterwards, what the test set going is finished at its own time, before the clock goes back."""
    from tests.support import Time

    await settle(app, worker)
    yield Time(app, worker)
    await settle(app, worker)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as http:
        yield http


@pytest.fixture(scope="session")
async def platform_token(db: Database, clock: FrozenClock) -> str:
    return await make_token(db, clock, expires_in=dt.timedelta(days=3650))


@pytest.fixture
def platform(platform_token: str) -> dict[str, str]:
    return bearer(platform_token)


@pytest.fixture
async def tenant(client: httpx.AsyncClient, platform: dict[str, str]) -> dict[str, Any]:
    return await create_tenant(client, platform)


# ---- staff users ------------------------------------------------------------------------------
