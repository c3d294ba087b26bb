"""/v1/tenants and /v1/tenants/{tenant_id}/units."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import Access, platform_only, requires
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.http import (
    DEFAULT_LIMIT,
    ETAG_HEADER,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Page,
    after_id,
    etag,
    id_page,
    problems,
    require_if_match,
)
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission
from service.tenants import service
from service.tenants.models import Tenant, Unit
from service.tenants.schemas import TenantCreate, TenantRead, TenantUpdate, UnitCreate, UnitRead, UnitUpdate


def tenant_read(tenant: Tenant) -> TenantRead:
    return msgspec.convert(tenant, TenantRead, from_attributes=True)


def unit_read(unit: Unit) -> UnitRead:
    return msgspec.convert(unit, UnitRead, from_attributes=True)


async def provide_current_tenant(
    tenant_id: FromPath[uuid.UUID],
    access: NamedDependency[Access],
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
) -> uuid.UUID:
    """Enter the tenant named in the path, if the caller may (the access object decides; a
    caller outside it gets the 404 of a tenant that does not exist). Row-level security is scoped
    to the tenant from here on."""
    await access.enter(db_session, tenant_id, clock)
    if access.is_platform:  # any tenant id passes the access check: it must name one
        await service.tenant_of(db_session, tenant_id)
    return tenant_id


class TenantController(Controller):
    path = "/v1/tenants"
    tags = ["Tenants"]

    @post(
        "/",
        operation_id="createTenant",
        summary="Create a tenant (platform operators)",
        guards=[platform_only, requires(Permission.TENANTS_WRITE)],
        responses=problems(401, 403, 409, 413, 415, 422),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TenantCreate],
        platform_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[TenantRead]:
        """A public agency. Its slug names it in register links and cannot change afterwards."""

        async def run() -> Response[TenantRead]:
            tenant = await service.create_tenant(platform_session, clock, data=data)
            return Response(tenant_read(tenant), status_code=201, headers={"ETag": etag(tenant.version)})

        return await idempotent(request, platform_session, idempotency_key, None, run)

    @get(
        "/",
        operation_id="listTenants",
        summary="List tenants (platform operators)",
        guards=[platform_only, requires(Permission.TENANTS_READ)],
        responses=problems(401, 403, 422),
    )
    async def list_(
        self,
        platform_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        slug: Annotated[str | None, Parameter(description="Only the tenant with this slug.")] = None,
    ) -> Page[TenantRead]:
        rows, more = await service.list_tenants(platform_session, after=after_id(cursor), limit=limit, slug=slug)
        return id_page(rows, more, tenant_read)

    @get(
        "/{tenant_id:uuid}",
        operation_id="getTenant",
        summary="Read a tenant",
        guards=[requires(Permission.TENANTS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(self, ctx: NamedDependency[Ctx]) -> Response[TenantRead]:
        tenant = await service.get_tenant(ctx)
        return Response(tenant_read(tenant), headers={"ETag": etag(tenant.version)})

    @patch(
        "/{tenant_id:uuid}",
        operation_id="updateTenant",
        summary="Change a tenant's names, kind or time zone (platform operators)",
        guards=[platform_only, requires(Permission.TENANTS_WRITE)],
        responses=problems(401, 403, 404, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[TenantUpdate],
        if_match: IfMatch = None,
    ) -> Response[TenantRead]:
        tenant = await service.get_tenant(ctx, lock=True)
        require_if_match(request, tenant.version)
        await service.update_tenant(ctx.session, ctx.clock, tenant=tenant, patch=data)
        return Response(tenant_read(tenant), headers={"ETag": etag(tenant.version)})


class UnitController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/units"
    tags = ["Units"]

    @post(
        "/",
        operation_id="createUnit",
        summary="Create a unit (所属)",
        guards=[requires(Permission.UNITS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[UnitCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UnitRead]:
        """A division that owns accounts. Give `parent_id` to nest it under a top-level unit."""

        async def run() -> Response[UnitRead]:
            unit = await service.create_unit(ctx, data)
            return Response(unit_read(unit), status_code=201, headers={"ETag": etag(unit.version)})

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/",
        operation_id="listUnits",
        summary="List units",
        guards=[requires(Permission.UNITS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        parent_id: Annotated[uuid.UUID | None, Parameter(description="Only the children of this unit.")] = None,
    ) -> Page[UnitRead]:
        rows, more = await service.list_units(ctx, after_id(cursor), limit, parent_id=parent_id)
        return id_page(rows, more, unit_read)

    @get(
        "/{unit_id:uuid}",
        operation_id="getUnit",
        summary="Read a unit",
        guards=[requires(Permission.UNITS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        unit_id: FromPath[uuid.UUID],
    ) -> Response[UnitRead]:
        unit = await service.get_unit(ctx, unit_id)
        return Response(unit_read(unit), headers={"ETag": etag(unit.version)})

    @patch(
        "/{unit_id:uuid}",
        operation_id="updateUnit",
        summary="Change a unit",
        guards=[requires(Permission.UNITS_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        unit_id: FromPath[uuid.UUID],
        data: JSONBody[UnitUpdate],
        if_match: IfMatch = None,
    ) -> Response[UnitRead]:
        unit = await service.get_unit(ctx, unit_id, lock=True)
        require_if_match(request, unit.version)
        await service.update_unit(ctx, unit, data)
        return Response(unit_read(unit), headers={"ETag": etag(unit.version)})

    @delete(
        "/{unit_id:uuid}",
        operation_id="deleteUnit",
        summary="Delete a unit with no child units",
        guards=[requires(Permission.UNITS_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 428),
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        unit_id: FromPath[uuid.UUID],
        if_match: IfMatch = None,
    ) -> None:
        unit = await service.get_unit(ctx, unit_id, lock=True)
        if if_match is not None:
            require_if_match(request, unit.version)
        await service.delete_unit(ctx, unit)
