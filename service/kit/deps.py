"""Request-scoped dependencies, declared once for the whole app: the unit of work, the clock, the
caller's access, and the context services work in. (The tenant acted on, `current_tenant_id`, is
provided by the tenants domain: `service.tenants.routes.provide_current_tenant`.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import Access, access_of
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.db import Database, set_platform, track_session


async def provide_db_session(state: State, request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work: committed when the handler succeeds, rolled back otherwise.

    Litestar runs the code after `yield` once the handler has returned and its response is built,
    but before anything is sent, so a failed commit still becomes an error response. When another
    dependency of the request raises, Litestar skips the code after `yield`; the request middleware
    then closes the session (`service.kit.db.close_sessions`).
    """
    db: Database = state.db
    # Written out rather than `async with db.unit_of_work()`: a generator abandoned by Litestar is
    # finalised by the event loop later, and a nested async generator would be finalised apart from
    # it, in any order ("athrow(): asynchronous generator is already running").
    session = db.session()
    track_session(request.scope, session)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await db.commit(session)
    finally:
        await session.close()


def provide_clock(state: State) -> Clock:
    clock: NamedDependency[Clock] = state.clock
    return clock


def provide_access(request: Request[Any, Any, Any]) -> Access:
    """The request's one access object (the guards used it already)."""
    return access_of(request)


def provide_principal(access: NamedDependency[Access]) -> Principal:
    return access.principal


async def provide_home_session(
    access: NamedDependency[Access], db_session: NamedDependency[AsyncSession]
) -> AsyncSession:
    """A session scoped to the caller's own home: its tenant, or the platform for an operator."""
    await access.enter_home(db_session)
    return db_session


def provide_ctx(
    db_session: NamedDependency[AsyncSession],
    current_tenant_id: NamedDependency[uuid.UUID],
    clock: NamedDependency[Clock],
    access: NamedDependency[Access],
) -> Ctx:
    """What a service of a tenant route works in: the unit of work, the tenant entered, the clock, the caller."""
    return Ctx(db_session, current_tenant_id, clock, access)


async def provide_platform_session(db_session: NamedDependency[AsyncSession]) -> AsyncSession:
    await set_platform(db_session)
    return db_session


DEPENDENCIES: dict[str, Provide] = {
    "db_session": Provide(provide_db_session),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "access": Provide(provide_access, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "ctx": Provide(provide_ctx, sync_to_thread=False),
    "platform_session": Provide(provide_platform_session),
    "platform_or_tenant_session": Provide(provide_home_session),
}


async def provide_reader(tenant_id: FromPath[uuid.UUID], access: NamedDependency[Access], state: State) -> uuid.UUID:
    """The hot reads' tenant check (`reader_tenant_id`): no transaction is opened for it. Callers
    reach only their own tenant (a platform operator any); a contractor's standing still needs the
    database."""
    access.check_tenant(tenant_id)
    if access.needs_standing:
        db: Database = state.db
        async with db.unit_of_work() as session:
            await access.enter(session, tenant_id, state.clock)
    return tenant_id
