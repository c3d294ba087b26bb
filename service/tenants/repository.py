"""Every query of tenants and their units."""

from __future__ import annotations

import uuid

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.errors import not_found
from service.kit.repository import TenantRepository
from service.tenants.models import Tenant, Unit


class TenantsRepository:
    """Tenants are platform-level rows: listing and creating them needs the platform session (a
    session in one tenant sees that tenant's own row)."""

    resource = "tenant"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: uuid.UUID, *, for_update: bool = False) -> Tenant | None:
        query = select(Tenant).where(Tenant.id == tenant_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_or_404(self, tenant_id: uuid.UUID, *, lock: bool = False) -> Tenant:
        """The tenant, or the 404 of a tenant that does not exist (or that the session cannot see)."""
        tenant = await self.get(tenant_id, for_update=lock)
        if tenant is None:
            raise not_found(self.resource)
        return tenant

    async def loaded_or_404(self, tenant_id: uuid.UUID) -> Tenant:
        """The tenant, read once per session: the session holds on to it (its identity map holds rows
        only while something else does, so `session.get` alone read it again for every caller)."""
        held: dict[uuid.UUID, Tenant] = self.session.info.setdefault("tenants", {})
        tenant = held.get(tenant_id)
        if tenant is None or (state := inspect(tenant)).expired_attributes or state.detached:
            tenant = await self.session.get(Tenant, tenant_id)  # refreshed after a rollback
        if tenant is None:
            raise not_found(self.resource)
        held[tenant_id] = tenant
        return tenant

    async def by_slug(self, slug: str) -> Tenant | None:
        return (await self.session.execute(select(Tenant).where(Tenant.slug == slug))).scalar_one_or_none()

    async def page(self, after: uuid.UUID | None, limit: int, *, slug: str | None = None) -> tuple[list[Tenant], bool]:
        query = select(Tenant).order_by(Tenant.id).limit(limit + 1)
        if slug is not None:
            query = query.where(Tenant.slug == slug)
        if after is not None:
            query = query.where(Tenant.id > after)
        rows = list((await self.session.execute(query)).scalars())
        return rows[:limit], len(rows) > limit

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        return tenant


class UnitsRepository(TenantRepository[Unit]):
    model = Unit
    resource = "unit"

    async def by_code(self, code: str) -> Unit | None:
        return (await self.session.execute(self.select().where(Unit.code == code))).scalar_one_or_none()

    async def by_codes(self) -> dict[str, Unit]:
        """Every unit of the tenant, by its code."""
        return {u.code: u for u in (await self.session.execute(self.select())).scalars()}

    async def has_children(self, unit_id: uuid.UUID) -> bool:
        count = await self.session.scalar(
            select(func.count()).select_from(Unit).where(Unit.tenant_id == self.tenant_id, Unit.parent_id == unit_id)
        )
        return bool(count)

    async def parent_of(self, unit_id: uuid.UUID) -> uuid.UUID | None:
        query = select(Unit.parent_id).where(Unit.tenant_id == self.tenant_id, Unit.id == unit_id)
        parent: uuid.UUID | None = await self.session.scalar(query)
        return parent

    async def children_of(self, unit_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.execute(
            select(Unit.id).where(Unit.tenant_id == self.tenant_id, Unit.parent_id == unit_id).order_by(Unit.id)
        )
        return list(rows.scalars())

    async def all(self) -> list[Unit]:
        return list((await self.session.execute(self.select().order_by(Unit.code))).scalars())

    async def listed(
        self, after: uuid.UUID | None, limit: int, *, parent_id: uuid.UUID | None = None
    ) -> tuple[list[Unit], bool]:
        """A page of the tenant's units in id order (only the children of `parent_id`, if given)."""
        query = self.select()
        if parent_id is not None:
            query = query.where(Unit.parent_id == parent_id)
        return await self.page(query, after, limit)

    async def delete(self, unit: Unit) -> None:
        await self.session.delete(unit)
        await self.session.flush()
