"""The base of tenant-owned repositories: the tenant filter is added here, once.

Row-level security would hide other tenants' rows anyway; the explicit filter is the first line
of defence and lets the planner use the (tenant_id, …) indexes.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.db import Base

M = TypeVar("M", bound=Base)


class TenantRepository(Generic[M]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self) -> Select[M]:
        return select(self.model).where(self.model.tenant_id == self.tenant_id)

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> M | None:
        query = self.select().where(self.model.id == id_)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def page(self, query: Select[M], after: uuid.UUID | None, limit: int) -> tuple[list[M], bool]:
        """Rows after `after` in id order (ids are time-ordered), and whether more follow."""
        if after is not None:
            query = query.where(self.model.id > after)
        rows = list((await self.session.execute(query.order_by(self.model.id).limit(limit + 1))).scalars())
        return rows[:limit], len(rows) > limit

    def add(self, row: M) -> M:
        self.session.add(row)
        return row
