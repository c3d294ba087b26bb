from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from service.guidelines.models import GuidelineVersion
from service.kit.repository import TenantRepository


class GuidelineRepository(TenantRepository[GuidelineVersion]):
    model = GuidelineVersion

    async def by_number(self, version: int) -> GuidelineVersion | None:
        query = self.select().where(GuidelineVersion.version == version)
        return (await self.session.execute(query)).scalar_one_or_none()

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

    async def next_number(self) -> int:
        current = await self.session.scalar(
            select(func.max(GuidelineVersion.version)).where(GuidelineVersion.tenant_id == self.tenant_id)
        )
        return int(current or 0) + 1
