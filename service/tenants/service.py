"""Tenants and their units: the rules of creating, changing and nesting them."""

from __future__ import annotations

import functools
import uuid
import zoneinfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.clock import Clock
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, conflict, not_found, validation_failed
from service.kit.ids import uuid7
from service.tenants.models import Tenant, Unit
from service.tenants.repository import TenantsRepository, UnitsRepository
from service.tenants.schemas import TenantCreate, TenantUpdate, UnitCreate, UnitUpdate


async def tenant_of(session: AsyncSession, tenant_id: uuid.UUID) -> Tenant:
    """The tenant row (its time zone, names) for a service that acts in it: from the session's
    identity map once loaded, so a transaction reads it once however many steps ask."""
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise not_found("tenant")
    return tenant


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str, pointer: str = "/time_zone") -> None:
    if name not in _time_zones():
        raise validation_failed([FieldError(Msg("field.time_zone"), "time_zone", pointer)])


async def create_tenant(session: AsyncSession, clock: Clock, data: TenantCreate) -> Tenant:
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


async def update_tenant(session: AsyncSession, clock: Clock, tenant: Tenant, patch: TenantUpdate) -> Tenant:
    if patch.time_zone is not msgspec.UNSET:
        check_time_zone(patch.time_zone)
    if apply_changes(tenant, patch):
        tenant.updated_at = clock.now()
        await session.flush()
    return tenant


async def _checked_parent(units: UnitsRepository, parent_id: uuid.UUID, child_id: uuid.UUID | None) -> Unit:
    if parent_id == child_id:
        raise conflict("conflict.unit-self-parent")
    parent = await units.get(parent_id, for_update=True)
    if parent is None:
        raise not_found("unit", "/parent_id")
    if parent.parent_id is not None:
        raise conflict("conflict.unit-nesting", parent=parent.code)
    return parent


async def create_unit(units: UnitsRepository, clock: Clock, data: UnitCreate) -> Unit:
    if await units.by_code(data.code) is not None:
        raise conflict("conflict.unit-code-taken", code=data.code)
    if data.parent_id is not None:
        await _checked_parent(units, data.parent_id, None)
    now = clock.now()
    unit = units.add(
        Unit(
            id=uuid7(),
            tenant_id=units.tenant_id,
            code=data.code,
            name_ja=data.name_ja,
            name_en=data.name_en,
            parent_id=data.parent_id,
            shared_mailbox=data.shared_mailbox,
            created_at=now,
            updated_at=now,
        )
    )
    await flush_or_conflict(units.session, conflict("conflict.unit-code-taken", code=data.code))
    return unit


async def update_unit(units: UnitsRepository, clock: Clock, unit: Unit, patch: UnitUpdate) -> Unit:
    if patch.parent_id is not msgspec.UNSET and patch.parent_id is not None and patch.parent_id != unit.parent_id:
        await _checked_parent(units, patch.parent_id, unit.id)
        if await units.has_children(unit.id):
            raise conflict("conflict.unit-is-parent-of-others")
    if apply_changes(unit, patch):
        unit.updated_at = clock.now()
        await units.session.flush()
    return unit


async def delete_unit(units: UnitsRepository, unit: Unit) -> None:
    if await units.has_children(unit.id):
        raise conflict("conflict.unit-has-children", action=Msg("word.deleted"))
    await units.session.delete(unit)
    await units.session.flush()


async def get_unit(units: UnitsRepository, unit_id: uuid.UUID, *, for_update: bool = False) -> Unit:
    unit = await units.get(unit_id, for_update=for_update)
    if unit is None:
        raise not_found("unit")
    return unit
