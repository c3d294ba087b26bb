"""Every query of closures and their announcements."""

from __future__ import annotations

import uuid

from service.closures.models import OPEN, Closure, ClosureAnnouncement
from service.kit.repository import TenantRepository


class ClosuresRepository(TenantRepository[Closure]):
    model = Closure
    resource = "closure"

    async def newest_first(
        self, before: uuid.UUID | None, limit: int, *, state: str | None = None, account_id: uuid.UUID | None = None
    ) -> tuple[list[Closure], bool]:
        query = self.select()
        if state is not None:
            query = query.where(Closure.state == state)
        if account_id is not None:
            query = query.where(Closure.account_id == account_id)
        return await self.page(query, before, limit, newest_first=True)

    async def open_of(self, account_id: uuid.UUID) -> list[Closure]:
        """The account's closures still under way."""
        query = self.select().where(Closure.account_id == account_id, Closure.state.in_(OPEN))
        return list((await self.session.execute(query)).scalars())

    async def announcements(self, closure: Closure) -> list[ClosureAnnouncement]:
        query = (
            ClosureAnnouncementsRepository(self.session, self.tenant_id)
            .select()
            .where(ClosureAnnouncement.closure_id == closure.id)
            .order_by(ClosureAnnouncement.made_on, ClosureAnnouncement.id)
        )
        return list((await self.session.execute(query)).scalars())


class ClosureAnnouncementsRepository(TenantRepository[ClosureAnnouncement]):
    model = ClosureAnnouncement
    resource = "closure-announcement"
