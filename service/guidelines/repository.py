"""Every query of guideline configuration versions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from service.guidelines.models import GuidelineVersion
from service.kit.errors import not_found
from service.kit.repository import TenantRepository


class GuidelineRepository(TenantRepository[GuidelineVersion]):
    model = GuidelineVersion
    resource = "guideline-version"

    async def by_number(self, version: int) -> GuidelineVersion | None:
        query = self.select().where(GuidelineVersion.version == version)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_number_or_404(self, version: int) -> GuidelineVersion:
        """Versions are named by their number (1, 2, …), not their id."""
        row = await self.by_number(version)
        if row is None:
            raise not_found(self.resource)
        return row

    async def newest_first(self, before: int | None, limit: int) -> tuple[list[GuidelineVersion], bool]:
        """Versions numbered below `before` (all, without it), newest first, and whether more follow."""
        query = self.select().order_by(GuidelineVersion.version.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(GuidelineVersion.version < before)
        rows = list((await self.session.execute(query)).scalars())
        return rows[:limit], len(rows) > limit

    async def latest(self) -> GuidelineVersion | None:
        query = self.select().order_by(GuidelineVersion.version.desc()).limit(1)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def in_force(self, on: dt.date) -> GuidelineVersion | None:
        """The version that applies on `on`: the latest effective date not after it, and among versions
        sharing that date the newest (a retroactive revision replaces what it revises)."""
        query = (
            self.select()
            .where(GuidelineVersion.effective_from <= on)
            .order_by(GuidelineVersion.effective_from.desc(), GuidelineVersion.version.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def in_force_or_404(self, on: dt.date) -> GuidelineVersion:
        row = await self.in_force(on)
        if row is None:
            raise not_found(self.resource)
        return row

    async def next_number(self) -> int:
        current = await self.session.scalar(
            select(func.max(GuidelineVersion.version)).where(GuidelineVersion.tenant_id == self.tenant_id)
        )
        return int(current or 0) + 1
