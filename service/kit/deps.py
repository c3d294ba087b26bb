"""Request-scoped dependencies: the unit of work, the clock, the caller, and the tenant acted on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import check_standing
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.db import Database, set_platform, set_tenant
from service.kit.errors import not_found, unauthorized_problem


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """The request's unit of work: committed when the handler succeeds, rolled back otherwise.

    Litestar runs the code after `yield` once the handler has returned and its response is built,
    but before anything is sent, so a failed commit still becomes an error response.
    """
    db: Database = state.db
    async with db.unit_of_work() as session:
        yield session


def provide_clock(state: State) -> Clock:
    clock: NamedDependency[Clock] = state.clock
    return clock


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope.get("user")
    if not isinstance(principal, Principal):
        raise unauthorized_problem()
    return principal


async def provide_home_session(
    principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
) -> AsyncSession:
    """A session scoped to the caller's own home: its tenant, or the platform for an operator."""
    if principal.tenant_id is None:
        await set_platform(db_session)
    else:
        await set_tenant(db_session, principal.tenant_id)
    return db_session


async def provide_platform_session(db_session: NamedDependency[AsyncSession]) -> AsyncSession:
    await set_platform(db_session)
    return db_session


async def provide_tenant_id(
    request: Request[Any, Any, Any],
    tenant_id: FromPath[uuid.UUID],
    principal: NamedDependency[Principal],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
) -> uuid.UUID:
    """Enter the tenant named in the path, if the caller may.

    A caller outside the tenant gets the same 404 as for a tenant that does not exist, so ids
    cannot be probed. Row-level security is scoped to the tenant from here on.
    """
    from service.tenants.models import Tenant

    if not principal.is_platform and principal.tenant_id != tenant_id:
        raise not_found("tenant")
    await set_tenant(db_session, tenant_id)
    await check_standing(db_session, principal, clock, request)
    if principal.is_platform:
        found = await db_session.scalar(select(Tenant.id).where(Tenant.id == tenant_id))
        if found is None:
            raise not_found("tenant")
    return tenant_id


DEPENDENCIES: dict[str, Provide] = {
    "db_session": Provide(provide_db_session),
    "clock": Provide(provide_clock, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "platform_session": Provide(provide_platform_session),
    "platform_or_tenant_session": Provide(provide_home_session),
    "current_tenant_id": Provide(provide_tenant_id),
}
