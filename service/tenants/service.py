"""Tenants and their units: the rules of creating, changing and nesting them."""

from __future__ import annotations

import functools
import uuid
import zoneinfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, conflict, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Permission
from service.tenants.models import Tenant, Unit
from service.tenants.repository import TenantsRepository, UnitsRepository
from service.tenants.schemas import TenantCreate, TenantUpdate, UnitCreate, UnitUpdate


async def tenant_of(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """The tenant row (its time zone, names) for a service that acts in it: from the session's
    identity map once loaded, so a transaction reads it once however many steps ask."""
    return await TenantsRepository(session).loaded_or_404(tenant_id)


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str, pointer: str = "/time_zone") -> None:
    if name not in _time_zones():
        raise validation_failed([FieldError(Msg("field.time_zone"), "time_zone", pointer)])


# ---- tenants (platform-level: the platform session, or the tenant's own) -------------------------------


async def get_tenant(ctx: Ctx, *, lock: bool = False) -> Tenant:
    """The tenant the request acts in."""
    return await TenantsRepository(ctx.session).get_or_404(ctx.tenant_id, lock=lock)


async def list_tenants(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int, slug: str | None = None
) -> tuple[list[Tenant], bool]:
    return await TenantsRepository(session).page(after, limit, slug=slug)


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    return await TenantsRepository(session).by_slug(slug)


async def create_tenant(session: AsyncSession, clock: Clock, *, data: TenantCreate) -> Tenant:
    check_time_zone(data.time_zone)
    repo = TenantsRepository(session)
    if await repo.by_slug(data.slug) is not None:
        raise conflict("conflict.tenant-slug-taken", slug=data.slug)
    now = clock.now()
    tenant = repo.add(
        Tenant(
            id=uuid7(),
            slug=data.slug,
            name_ja=data.name_ja,
            name_en=data.name_en,
            kind=data.kind,
            time_zone=data.time_zone,
            created_at=now,
            updated_at=now,
        )
    )
    await flush_or_conflict(session, conflict("conflict.tenant-slug-taken", slug=data.slug))
    return tenant


def apply_changes(row: object, patch: msgspec.Struct) -> dict[str, tuple[object, object]]:
    """Copy the fields the caller sent onto `row`; return {field: (before, after)} for those that changed."""
    changes: dict[str, tuple[object, object]] = {}
    for name in patch.__struct_fields__:
        value = getattr(patch, name)
        if value is msgspec.UNSET:
            continue
        before = getattr(row, name)
        if before != value:
            changes[name] = (before, value)
            setattr(row, name, value)
    return changes


async def update_tenant(session: AsyncSession, clock: Clock, *, tenant: Tenant, patch: TenantUpdate) -> Tenant:
    if patch.time_zone is not msgspec.UNSET:
        check_time_zone(patch.time_zone)
    if apply_changes(tenant, patch):
        tenant.updated_at = clock.now()
        await session.flush()
    return tenant


# ---- units (in the tenant of the context) --------------------------------------------------------------


async def unit_of(
    session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID, *, pointer: str | None = None
) -> Unit:
    """A unit of the tenant, or its 404 (for work with no caller: workers, opening rules)."""
    return await UnitsRepository(session, tenant_id).get_or_404(unit_id, pointer=pointer)


async def child_units(session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> list[uuid.UUID]:
    """The units nested under a unit (one level: units nest no deeper)."""
    return await UnitsRepository(session, tenant_id).children_of(unit_id)


async def parent_unit(session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> uuid.UUID | None:
    return await UnitsRepository(session, tenant_id).parent_of(unit_id)


def _units(ctx: Ctx) -> UnitsRepository:
    return UnitsRepository(ctx.session, ctx.tenant_id)


async def get_unit(ctx: Ctx, unit_id: uuid.UUID, *, lock: bool = False, pointer: str | None = None) -> Unit:
    """The unit, or the 404 of a unit (with `pointer` when its id came from a field of the body)."""
    return await _units(ctx).get_or_404(unit_id, lock=lock, pointer=pointer)


async def unit_by_code(ctx: Ctx, code: str) -> Unit | None:
    return await _units(ctx).by_code(code)


async def units_by_code(ctx: Ctx) -> dict[str, Unit]:
    """Every unit of the tenant, by its code (an import matches units by code)."""
    return await _units(ctx).by_codes()


async def list_units(
    ctx: Ctx, after: uuid.UUID | None, limit: int, *, parent_id: uuid.UUID | None = None
) -> tuple[list[Unit], bool]:
    return await _units(ctx).listed(after, limit, parent_id=parent_id)


async def _checked_parent(ctx: Ctx, parent_id: uuid.UUID, child_id: uuid.UUID | None) -> Unit:
    if parent_id == child_id:
        raise conflict("conflict.unit-self-parent")
    parent = await get_unit(ctx, parent_id, lock=True, pointer="/parent_id")
    if parent.parent_id is not None:
        raise conflict("conflict.unit-nesting", parent=parent.code)
    return parent


async def create_unit(ctx: Ctx, data: UnitCreate) -> Unit:
    units = _units(ctx)
    if await units.by_code(data.code) is not None:
        raise conflict("conflict.unit-code-taken", code=data.code)
    if data.parent_id is not None:
        await _checked_parent(ctx, data.parent_id, None)
    now = ctx.now()
    unit = units.add(
        Unit(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            code=data.code,
            name_ja=data.name_ja,
            name_en=data.name_en,
            parent_id=data.parent_id,
            shared_mailbox=data.shared_mailbox,
            created_at=now,
            updated_at=now,
        )
    )
    await flush_or_conflict(ctx.session, conflict("conflict.unit-code-taken", code=data.code))
    return unit


async def update_unit(ctx: Ctx, unit: Unit, patch: UnitUpdate) -> Unit:
    await ctx.access.require(Permission.UNITS_WRITE, on=unit)
    if patch.parent_id is not msgspec.UNSET and patch.parent_id is not None and patch.parent_id != unit.parent_id:
        await _checked_parent(ctx, patch.parent_id, unit.id)
        if await _units(ctx).has_children(unit.id):
            raise conflict("conflict.unit-is-parent-of-others")
    if apply_changes(unit, patch):
        unit.updated_at = ctx.now()
        await ctx.session.flush()
    return unit


async def delete_unit(ctx: Ctx, unit: Unit) -> None:
    await ctx.access.require(Permission.UNITS_WRITE, on=unit)
    units = _units(ctx)
    if await units.has_children(unit.id):
        raise conflict("conflict.unit-has-children", action=Msg("word.deleted"))
    await units.delete(unit)
