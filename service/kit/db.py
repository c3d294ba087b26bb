"""PostgreSQL access: the engine, the unit of work, and the tenant context row-level security reads.

A unit of work is one transaction. It commits in exactly one place: when the request handler (or
an actor, or a CLI command) returns without error. Services only flush. A failed commit raises,
so the caller answers an error, never a 2xx.

Row-level security decides what the application role can see from two transaction-local settings:
`app.tenant_id` (the tenant being acted on) and `app.platform` ('on' for a platform operator's
platform-wide work). Neither set means no tenant rows at all.

What a failure of the database means is decided here, once (`failure_of`): the server cannot be
reached or is not accepting work (a connection refused, reset or killed, a restart, a crash,
recovery, too many connections: SQLSTATE classes 08, 53, 57, and 25006) is `UNAVAILABLE`, which
callers answer 503 with Retry-After; a serialization failure or a deadlock (40001, 40P01), which
running the unit of work again may well get through, is `CONCURRENCY`. The exception mapping and
the hot reads both ask it, whether the error comes from the driver, from SQLAlchemy wrapping it,
or from the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import MetaData, Text, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.types import TypeDecorator

from service.kit.clock import Clock, SystemClock

# The connection is unusable: the server closed the session (restart, failover,
# pg_terminate_backend: SQLSTATE class 57P), the socket broke, or the driver lost its state.
_CONNECTION_LOST = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    OSError,
)


class Failure(enum.Enum):
    """What a database error means for whoever called."""

    UNAVAILABLE = "unavailable"  # no answer from the server: 503, try again later
    CONCURRENCY = "concurrency"  # lost a race with another transaction: run the unit of work again


# SQLSTATEs (by class, or exactly) of a server that cannot do the work now, whatever the work:
# 08 connection exception, 53 insufficient resources (53300 too many connections), 57 operator
# intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now: start-up,
# recovery, shutting down; 57014 a statement cancelled), 25006 a read-only server (a standby).
_UNAVAILABLE_CLASSES = ("08", "53", "57")
_UNAVAILABLE_STATES = frozenset({"25006"})
# Errors that say the same without a SQLSTATE: the socket refused, reset or timed out (OSError),
# the driver's connection closed under it, SQLAlchemy's own words for a lost server (other drivers
# raise OperationalError), a pooled connection found dead, no pooled connection free in time.
_UNAVAILABLE_TYPES = (
    *_CONNECTION_LOST,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
# Serialization failure, deadlock detected: the transaction was chosen to give way.
_CONCURRENCY_STATES = frozenset({"40001", "40P01"})


def _sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return state if isinstance(state, str) else None


def _causes(exc: BaseException) -> list[BaseException]:
    """The error and what it wraps: SQLAlchemy's `orig`, the driver's error as its `__cause__`."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending and len(seen) < 16:
        current = pending.pop(0)
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        pending += [getattr(current, "orig", None), current.__cause__]
    return seen


def failure_of(exc: BaseException) -> Failure | None:
    """Whether `exc` says the database is unavailable or a transaction lost a race; None when it
    is something else (a bug, a constraint, bad input), which callers treat as they would anyway."""
    chain = _causes(exc)
    states = [state for e in chain if (state := _sqlstate(e)) is not None]
    if any(state in _CONCURRENCY_STATES for state in states):
        return Failure.CONCURRENCY
    if any(state in _UNAVAILABLE_STATES or state[:2] in _UNAVAILABLE_CLASSES for state in states):
        return Failure.UNAVAILABLE
    if any(isinstance(e, asyncpg.DataError) for e in chain):
        return None  # the driver could not encode an argument (an InterfaceError too): not the server
    for e in chain:
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return Failure.UNAVAILABLE
        if isinstance(e, _UNAVAILABLE_TYPES):
            return Failure.UNAVAILABLE
    return None


class DatabaseUnavailable(ConnectionError):
    """The database did not answer (a hot read, a probe): the caller answers 503 and retries later."""


APP_ROLE = "koshiki_app"
DEFINER_ROLE = "koshiki_definer"

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class InetText(TypeDecorator[str]):
    """PostgreSQL `inet`, read back as the plain string the API shows (asyncpg gives ipaddress objects)."""

    impl = INET
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)


E = TypeVar("E", bound=enum.StrEnum)


class StateType(TypeDecorator[E]):
    """A text column holding one of a StrEnum's values (its migration's CHECK constraint lists the
    same values; tests/kit/test_schema.py keeps the two equal), read back as the enum member."""

    impl = Text
    cache_ok = True

    def __init__(self, states: type[E]) -> None:
        super().__init__()
        self.states = states

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.states(value).value

    def process_result_value(self, value: Any, dialect: Any) -> E | None:
        return None if value is None else self.states(value)


def state_column(states: type[E], **kwargs: Any) -> Any:
    """`mapped_column` for a state: `status: Mapped[AccountStatus] = state_column(AccountStatus, default=…)`."""
    return mapped_column(StateType(states), **kwargs)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def async_url(url: str) -> str:
    """Accept the usual `postgresql://` form and select the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+asyncpg"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.render_as_string(hide_password=False)


def plain_url(url: str) -> str:
    """The libpq form (`postgresql://…`) an operator can hand to psql."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _nothing_to_reset(_: asyncpg.Connection) -> None:
    return None


def _discard_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout: a connection whose socket is closed already is replaced (the pool retries)."""
    driver = getattr(dbapi_connection, "_connection", None)
    if driver is not None and driver.is_closed():
        raise sa_exc.DisconnectionError("the server closed this pooled connection")


class Database:
    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 0,
        read_pool_size: int = 10,
        name: str = "koshiki",
        clock: Clock | None = None,
    ) -> None:
        # The clock every unit of work stamps its audit events with (the app sets its own).
        self.clock: Clock = clock or SystemClock()
        # Called after a commit that wrote to the outbox, so the messages go out at once.
        self.relay_kick: Callable[[], None] | None = None
        self.engine: AsyncEngine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            connect_args={
                # JIT compiles plans for big analytic queries; for short OLTP statements it only costs.
                "server_settings": {"jit": "off", "application_name": name},
            },
        )
        # A pooled connection the server closed meanwhile (a restart, pg_terminate_backend) is
        # known to be closed without a round trip: replaced at checkout, it costs no request a 503.
        event.listen(self.engine.sync_engine, "checkout", _discard_closed)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._url, self._name, self._read_pool_size = url, name, read_pool_size
        self._reads: asyncpg.Pool | None = None
        self._reads_lock = asyncio.Lock()
        # Admission in arrival order: asyncpg's pool lets a newcomer take a connection released
        # for a waiter, which under load left some requests waiting 10× the median.
        self._read_slots = asyncio.Semaphore(read_pool_size)

    async def dispose(self) -> None:
        if self._reads is not None:
            await self._reads.close()
            self._reads = None
        await self.engine.dispose()

    async def _read_pool(self) -> asyncpg.Pool:
        if self._reads is None:
            async with self._reads_lock:
                if self._reads is None:
                    self._reads = await asyncpg.create_pool(
                        plain_url(self._url),
                        min_size=1,
                        max_size=self._read_pool_size,
                        # Its statements are single and autocommitted and set nothing that outlives
                        # them, so a released connection needs no RESET ALL round trip.
                        reset=_nothing_to_reset,
                        server_settings={"jit": "off", "application_name": f"{self._name}-reads"},
                    )
        return self._reads

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        """One statement on the driver itself, from a small pool of its own, in its own implicit
        transaction: for the hot reads, where SQLAlchemy's pool and per-statement work cost more
        than the statement (bench/register.py). Rows are asyncpg records; row-level security
        applies as to any statement of the app role. A database that cannot be reached or answered
        (while connecting too: refused, starting up, too many connections) raises
        `DatabaseUnavailable`."""
        try:
            pool = await self._read_pool()
            async with self._read_slots, pool.acquire() as conn:
                try:
                    rows: list[Any] = await conn.fetch(sql, *args)
                except _CONNECTION_LOST:
                    with contextlib.suppress(asyncpg.InterfaceError):  # unless the pool dropped it already
                        conn.terminate()  # the pool replaces it
                    raise
                return rows
        except Exception as exc:
            if failure_of(exc) is Failure.UNAVAILABLE:
                raise DatabaseUnavailable("the database connection was lost") from exc
            raise

    async def fetch_on_new_connection(self, sql: str, *args: Any) -> list[Any]:
        """One statement on a connection of its own, opened for it and closed after: what a probe
        asks, since a pooled session can go on working while the server refuses new ones (shutting
        down, starting up, in recovery, full). Failures raise as `fetch`'s do; the caller bounds
        the time (`asyncio.timeout`)."""
        try:
            conn = await asyncpg.connect(
                plain_url(self._url), server_settings={"jit": "off", "application_name": f"{self._name}-probe"}
            )
            try:
                rows: list[Any] = await conn.fetch(sql, *args)
            except BaseException:
                conn.terminate()
                raise
            await conn.close()
            return rows
        except Exception as exc:
            if failure_of(exc) is Failure.UNAVAILABLE:
                raise DatabaseUnavailable("the database did not answer") from exc
            raise

    def session(self) -> AsyncSession:
        """A new session, stamping with this database's clock (`unit_of_work` is the usual way in)."""
        session = self.sessionmaker()
        session.info["clock"] = self.clock
        return session

    async def commit(self, session: AsyncSession) -> None:
        """Commit, then kick the relay when the transaction wrote to the outbox."""
        await session.commit()
        if session.info.get("outbox_written") and self.relay_kick is not None:
            self.relay_kick()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction, committed on success and rolled back on any error."""
        async with self.session() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await self.commit(session)


# The scope key under which a request lists its units of work (`track_session`, `close_sessions`).
SESSIONS = "koshiki.sessions"


def track_session(scope: Any, session: AsyncSession) -> None:
    """List a request's unit of work in its ASGI scope, for `close_sessions`."""
    scope.setdefault(SESSIONS, []).append(session)


async def close_sessions(scope: Any) -> None:
    """Close what a request's units of work left open: nothing, unless a dependency of the request
    raised after the session was provided (a bad query parameter), in which case Litestar never
    runs the code after the session dependency's `yield`. Closing rolls its transaction back and
    returns the connection to the pool at once, rather than when the garbage collector gets to it."""
    for session in scope.pop(SESSIONS, ()):
        await session.close()


async def flush_or_conflict(
    session: AsyncSession, conflict: Exception, *, constraints: dict[str, Exception] | None = None
) -> None:
    """Flush, turning a unique-constraint race (someone inserted the same key between our check and
    our insert) into the same conflict the check would have raised, and a violation of one of
    `constraints` (by name) into its own error. The savepoint keeps the transaction usable."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        name = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        raise (constraints or {}).get(str(name), conflict) from exc


async def set_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Scope the current transaction to one tenant (row-level security reads it)."""
    await session.execute(text("SELECT set_config('app.tenant_id', :tenant_id, true)"), {"tenant_id": str(tenant_id)})
    session.info["tenant_id"] = tenant_id


async def set_platform(session: AsyncSession) -> None:
    """Let the current transaction see platform-wide rows (tenants, platform tokens)."""
    await session.execute(text("SELECT set_config('app.platform', 'on', true)"))
    session.info["platform"] = True


async def role_problems(session: AsyncSession) -> list[str]:
    """Why the connected role must not serve requests, if it must not (empty when it is safe).

    Row-level security does not bind superusers or BYPASSRLS roles, and an owner could switch it
    off; the application therefore refuses to run as any of them.
    """
    row = (
        await session.execute(
            text(
                """
                SELECT r.rolname, r.rolsuper, r.rolbypassrls,
                       EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                               WHERE n.nspname = current_schema() AND c.relowner = r.oid
                                 AND c.relkind IN ('r', 'p')) AS owns_tables,
                       pg_has_role(r.oid, :app_role, 'USAGE') AS is_app
                FROM pg_roles r WHERE r.rolname = current_user
                """
            ),
            {"app_role": APP_ROLE},
        )
    ).one()
    problems = []
    name = row.rolname
    if row.rolsuper:
        problems.append(f"role {name!r} is a superuser")
    if row.rolbypassrls:
        problems.append(f"role {name!r} has BYPASSRLS")
    if row.owns_tables:
        problems.append(f"role {name!r} owns the tables (use it for migrations only)")
    if not row.is_app and name != APP_ROLE:
        problems.append(f"role {name!r} is not {APP_ROLE} or a member of it")
    return problems


def describe_url(url: str) -> str:
    """A URL fit for logs and messages: password hidden."""
    return make_url(url).render_as_string(hide_password=True)
