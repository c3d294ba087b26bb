"""Fault tests: PostgreSQL killed, restarted, crashed and shutting down under load from the API.

The test starts a PostgreSQL of its own (EmbeddedPostgres on a free port, in a directory of its
own; never the machine's server nor the suite's), creates an app on it as the suite does
(`create_app(settings, db=…, clock=…)`), and keeps several clients sending reads, writes and public
register reads while it: kills the app's backends (pg_terminate_backend: 57P01), restarts the server
(fast: 57P01, then connection refused), stops it as a crash would (immediate) and starts it with
crash recovery, and begins a smart shutdown, during which the server refuses new sessions with
57P03 (`cannot connect now`) while the old ones go on. Every answer must be 2xx/4xx, or 503 with
Retry-After: never a 500. `/readyz` must say 503 while the database is down or refusing sessions,
and 200 once it is back. The figures (requests, 503s, 500s, recovery) are printed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.app import create_app
from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from service.kit.dbadmin import bootstrap
from service.kit.embedded_pg import EmbeddedPostgres, free_port
from service.kit.migrate import upgrade_sync
from tests.support import assert_problem, bearer, create_tenant, make_token, serving, unique_slug
from tests.support.figures import report

pytestmark = pytest.mark.slow

APP_NAME = "koshiki-faults"


class ThrowawayPostgres(EmbeddedPostgres):
    """An EmbeddedPostgres in a temporary directory of its own, with the stops a fault test needs."""

    def pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", *args, "-D", str(self.pgdata), check=False)

    def stop_now(self, mode: str, *, wait: bool = True) -> None:
        self.pg_ctl("stop", "-m", mode, "-w" if wait else "-W", "-t", "60")

    def wait_stopped(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not self.running(), "the throwaway PostgreSQL did not stop"


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    directory = Path(tempfile.mkdtemp(prefix="koshiki-faults-pg-"))
    server = ThrowawayPostgres(directory / "pg", free_port())
    server._chown_for_server(directory)  # run as root, the server is `nobody`: its way in
    try:
        server.start()
    except Exception as exc:  # no server binaries: nothing to test with
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"no PostgreSQL to start: {exc}")
    yield server
    server.destroy()
    shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Served:
    server: ThrowawayPostgres
    database: str
    db: Database
    client: httpx.AsyncClient
    headers: dict[str, str]
    tenant_id: str
    slug: str


@pytest.fixture
async def served(postgres: ThrowawayPostgres, settings: Settings, clock: FrozenClock) -> AsyncIterator[Served]:
    """An app of its own on the throwaway server: its database bootstrapped and migrated as the
    suite's is, its own pools, a queue prefix no worker listens to, no relay after commits."""
    name = f"koshiki_faults_{secrets.token_hex(4)}"
    app_url, owner_url = await bootstrap(postgres.admin_url(), name)
    await asyncio.to_thread(upgrade_sync, owner_url)
    own = replace(
        settings,
        database_url=app_url,
        migration_database_url=owner_url,
        queue_prefix=f"fpg{secrets.token_hex(3)}-",
        public_rate_per_minute=1_000_000,
    )
    db = Database(app_url, pool_size=8, read_pool_size=4, name=APP_NAME)
    app = create_app(own, db=db, clock=clock)
    db.relay_kick = None  # nothing consumes this app's queue: leave its messages in its outbox
    token = await make_token(db, clock)
    async with serving(app) as client:
        headers = bearer(token)
        tenant = await create_tenant(client, headers)
        yield Served(postgres, name, db, client, headers, tenant["id"], tenant["slug"])
    await db.dispose()


# ---- load ---------------------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    without_retry_after: int = 0
    errors: list[str] = field(default_factory=list)
    ok_at: list[float] = field(default_factory=list)

    def add(self, what: str, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and not response.headers.get("retry-after"):
            self.without_retry_after += 1
        if response.status_code >= 500 and response.status_code != 503:
            self.errors.append(f"{what}: {response.status_code} {response.text[:300]}")
        if response.status_code < 400:
            self.ok_at.append(time.monotonic())

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def count(self, low: int, high: int) -> int:
        return sum(n for status, n in self.statuses.items() if low <= status < high)


async def one_request(served: Served, i: int) -> tuple[str, httpx.Response]:
    base = f"/v1/tenants/{served.tenant_id}"
    match i % 4:
        case 0:
            return "list units", await served.client.get(f"{base}/units", headers=served.headers)
        case 1:
            body = {"code": unique_slug("u"), "name_ja": "広報課", "name_en": "PR Division"}
            return "create unit", await served.client.post(f"{base}/units", json=body, headers=served.headers)
        case 2:  # a hot read: the driver's own pool (Database.fetch)
            return "public register", await served.client.get(f"/v1/public/tenants/{served.slug}/register")
        case _:
            return "read tenant", await served.client.get(base, headers=served.headers)


async def load(served: Served, tally: Tally, stop: asyncio.Event, offset: int) -> None:
    i = offset
    while not stop.is_set():
        what, response = await one_request(served, i)
        tally.add(what, response)
        i += 1
        await asyncio.sleep(0.005)


# ---- the server's faults -------------------------------------------------------------------------------


async def admin(served: Served) -> asyncpg.Connection:
    return await asyncpg.connect(served.server.admin_url())


async def kill_app_backends(conn: asyncpg.Connection, served: Served) -> int:
    killed = await conn.fetchval(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name LIKE $2",
        served.database,
        f"{APP_NAME}%",
    )
    return int(killed or 0)


async def readiness(served: Served) -> int:
    return (await served.client.get("/readyz")).status_code


async def wait_ready(served: Served, seconds: float = 30) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if await readiness(served) == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError("/readyz never said ready again")


async def refused_with_57p03(served: Served) -> BaseException:
    """A new session asked through SQLAlchemy, as the app's engine asks, while the server refuses
    them: the real error, as the exception mapping receives it."""
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(served.db.engine.url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # the refusal, as SQLAlchemy raises it
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the server accepted a new session while shutting down")


async def test_postgres_restarted_and_backends_killed_under_load_answer_503_never_500(served: Served) -> None:
    server = served.server
    tally = Tally()
    stop = asyncio.Event()
    clients = [asyncio.create_task(load(served, tally, stop, offset)) for offset in range(6)]
    readyz_down: list[int] = []
    killed = 0
    sqlstates: set[str] = set()
    try:
        await asyncio.sleep(1.0)
        assert await readiness(served) == 200

        # Backends killed under load (57P01 to whatever they were doing).
        conn = await admin(served)
        try:
            for _ in range(6):
                killed += await kill_app_backends(conn, served)
                await asyncio.sleep(0.5)
        finally:
            await conn.close()

        # A fast restart: sessions terminated, then nothing listens, then a fresh server.
        await asyncio.to_thread(server.stop_now, "fast")
        await asyncio.sleep(0.8)
        readyz_down.append(await readiness(served))
        await asyncio.to_thread(server.start)
        await wait_ready(served)
        await asyncio.sleep(0.5)

        # A crash (immediate stop), then a start with crash recovery.
        await asyncio.to_thread(server.stop_now, "immediate")
        await asyncio.sleep(0.8)
        readyz_down.append(await readiness(served))
        await asyncio.to_thread(server.start)
        await wait_ready(served)
        await asyncio.sleep(0.5)

        # A smart shutdown: the server refuses new sessions (57P03) while an old one stays open.
        held = await admin(served)
        try:
            await asyncio.to_thread(server.stop_now, "smart", wait=False)
            await asyncio.sleep(0.3)
            killed += await kill_app_backends(held, served)  # the app must ask for new sessions
            refusal = await refused_with_57p03(served)
            sqlstates |= {
                s
                for e in (refusal, refusal.__cause__, getattr(refusal, "orig", None))
                if (s := getattr(e, "sqlstate", None))
            }
            readyz_down.append(await readiness(served))
            await asyncio.sleep(1.5)  # the clients keep asking meanwhile
            killed += await kill_app_backends(held, served)
        finally:
            await held.close()  # the last session gone, the smart shutdown completes
        await asyncio.to_thread(server.wait_stopped)
        await asyncio.to_thread(server.start)
        back = time.monotonic()
        recovery = await wait_ready(served)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.to_thread(server.start)

    # Recovered: everything answers again, in order.
    after = Tally()
    for i in range(24):
        what, response = await one_request(served, i)
        after.add(what, response)
    report(
        "postgres killed/restarted/crashed/shutting down under load",
        requests=tally.total,
        ok_2xx=tally.count(200, 300),
        client_4xx=tally.count(400, 500),
        unavailable_503=tally.statuses[503],
        server_500=tally.count(500, 600) - tally.statuses[503],
        without_retry_after=tally.without_retry_after,
        backends_killed=killed,
        readyz_while_down=readyz_down,
        seconds_to_ready_after_restart=round(recovery, 2),
        seconds_to_first_2xx_after_restart=round(min(t for t in tally.ok_at if t > back) - back, 2),
        recovered=f"{after.count(200, 300)}/{after.total}",
        sqlstate_refusing=sorted(sqlstates),
    )
    assert tally.errors == [], tally.errors[:5]
    assert tally.without_retry_after == 0
    assert tally.statuses[503] > 0, "the faults never reached a client: the test proves nothing"
    assert "57P03" in sqlstates
    assert readyz_down == [503, 503, 503]
    assert after.count(200, 300) == after.total, after.statuses


async def test_a_refusal_to_connect_is_unavailable_wherever_it_is_raised() -> None:
    """57P03 and its kin, as the driver raises them and as SQLAlchemy wraps them (a plain DBAPIError,
    not an OperationalError, and no invalidated connection), are classified alike: unavailable (a
    503), never an internal error; a deadlock or serialization failure is a lost race (a 409)."""
    from service.kit.db import Failure, failure_of

    for error in (
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash of another server process"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
    ):
        assert failure_of(error) is Failure.UNAVAILABLE, error
        assert failure_of(through_sqlalchemy(error)) is Failure.UNAVAILABLE, error
    for error in (
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access due to concurrent update"),
    ):
        assert failure_of(through_sqlalchemy(error)) is Failure.CONCURRENCY, error
    for error in (asyncpg.exceptions.UniqueViolationError("duplicate key"), asyncpg.DataError("out of range")):
        assert failure_of(through_sqlalchemy(error)) is None, error
    assert failure_of(ValueError("a bug")) is None


def through_sqlalchemy(error: Exception) -> Exception:
    """The error as SQLAlchemy raises it from the asyncpg dialect: translated by the adapter, then
    wrapped in the DBAPIError (or StatementError) the caller sees."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, PGDialect_asyncpg

    dbapi = PGDialect_asyncpg.import_dbapi()
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except Exception as translated:
        return sa_exc.DBAPIError.instance("SELECT 1", None, translated, dbapi.Error)
    raise AssertionError("the adapter did not raise")


async def test_the_hot_reads_answer_503_while_the_server_refuses_sessions(served: Served) -> None:
    """The register's reads connect through the driver's own pool: a refusal there (57P03 while
    shutting down) is a 503 too, and they work again once the server is back."""
    server = served.server
    held = await admin(served)
    try:
        await asyncio.to_thread(server.stop_now, "smart", wait=False)
        await asyncio.sleep(0.3)
        await kill_app_backends(held, served)
        await asyncio.sleep(0.1)
        register = await served.client.get(f"/v1/public/tenants/{served.slug}/register")
        ready = await readiness(served)
    finally:
        await held.close()
    await asyncio.to_thread(server.wait_stopped)
    await asyncio.to_thread(server.start)
    await wait_ready(served)
    again = await served.client.get(f"/v1/public/tenants/{served.slug}/register")
    report("hot read while refusing sessions", status=register.status_code, readyz=ready, after=again.status_code)
    assert register.status_code == 503, register.text
    assert register.headers["retry-after"]
    assert ready == 503
    assert again.status_code == 200, again.text


# ---- lost races: retried once, then a 409 --------------------------------------------------------------


async def test_a_request_that_loses_a_deadlock_runs_again_with_its_body_and_succeeds(
    settings: Settings, db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Two requests take two locks in opposite orders and deadlock for real (40P01): PostgreSQL
    rolls one back; the middleware runs that one again, with the body it had, and both succeed."""
    key = secrets.randbelow(2**40)
    runs: collections.Counter[str] = collections.Counter()
    holding = {"a": asyncio.Event(), "b": asyncio.Event()}

    @post("/v1/test-race/{name:str}", exclude_from_auth=True, status_code=200)
    async def race(
        name: FromPath[str], data: JSONBody[dict[str, str]], db_session: NamedDependency[AsyncSession]
    ) -> dict[str, Any]:
        runs[name] += 1
        first, second = (key, key + 1) if name == "a" else (key + 1, key)
        await db_session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": first})
        if runs[name] == 1:  # both hold their first lock before either asks for its second
            holding[name].set()
            await asyncio.wait_for(holding["b" if name == "a" else "a"].wait(), timeout=5)
        await db_session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": second})
        return {"name": name, "body": data, "runs": runs[name]}

    app = create_app(settings, db=db, clock=clock)
    app.register(race)
    async with serving(app) as client:
        with caplog.at_level(logging.INFO, logger="koshiki.access"):
            a, b = await asyncio.gather(
                client.post("/v1/test-race/a", json={"note": "from a"}),
                client.post("/v1/test-race/b", json={"note": "from b"}),
            )
    retried = [r for r in caplog.records if r.name == "koshiki.access" and getattr(r, "retried", None)]
    report("a real deadlock between two requests", statuses=[a.status_code, b.status_code], runs=dict(runs))
    assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
    assert {a.json()["body"]["note"], b.json()["body"]["note"]} == {"from a", "from b"}
    assert sorted(runs.values()) == [1, 2]  # the loser ran twice, with its body both times
    assert len(retried) == 1
    assert retried[0].status == 200  # type: ignore[attr-defined]


async def test_a_request_that_loses_twice_is_a_409_with_retry_after(
    settings: Settings, db: Database, clock: FrozenClock
) -> None:
    runs: list[str] = []

    @post("/v1/test-always-deadlocked", exclude_from_auth=True, status_code=200)
    async def always_deadlocked(data: JSONBody[dict[str, str]]) -> None:
        runs.append(data["note"])
        raise through_sqlalchemy(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))

    app = create_app(settings, db=db, clock=clock)
    app.register(always_deadlocked)
    async with serving(app) as client:
        response = await client.post(
            "/v1/test-always-deadlocked", json={"note": "x"}, headers={"Accept-Language": "en"}
        )
    problem = assert_problem(response, 409, "conflict")
    assert problem["reason"] == "concurrent-update"
    assert response.headers["retry-after"]
    assert runs == ["x", "x"]  # run once more, then answered
