from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import User
from service.kit.repository import TenantRepository


class UsersRepository(TenantRepository[User]):
    model = User
    resource = "user"

    async def active_ids(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these are users of the tenant who have not been disabled."""
        if not ids:
            return set()
        query = select(User.id).where(User.tenant_id == self.tenant_id, User.id.in_(ids), User.disabled_at.is_(None))
        return set((await self.session.execute(query)).scalars())

    async def active_with_role(self, role: str, unit_ids: Collection[uuid.UUID | None] | None = None) -> list[User]:
        """The tenant's users holding `role` who have not been disabled (of these units, if given)."""
        query = self.select().where(User.disabled_at.is_(None), User.roles.contains([str(role)]))
        if unit_ids is not None:
            query = query.where(User.unit_id.in_([u for u in unit_ids if u is not None]))
        return list((await self.session.execute(query.order_by(User.id))).scalars())

    async def active_among(self, ids: Collection[uuid.UUID]) -> list[User]:
        """Those of these users of the tenant who have not been disabled."""
        if not ids:
            return []
        query = self.select().where(User.id.in_(list(ids)), User.disabled_at.is_(None)).order_by(User.id)
        return list((await self.session.execute(query)).scalars())

    async def any_disabled(self, ids: set[uuid.UUID]) -> bool:
        if not ids:
            return False
        query = select(func.count()).select_from(User).where(User.id.in_(ids), User.disabled_at.is_not(None))
        return bool(await self.session.scalar(query))

    async def by_login_or_email(self, login_id: str, email: str) -> User | None:
        """Across the platform (logins are unique everywhere); RLS limits what this tenant sees,
        and the unique indexes catch the rest at flush."""
        query = self.select().where(
            (func.lower(User.login_id) == login_id.lower()) | (func.lower(User.email) == email.lower())
        )
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """A user by id in whatever the session is scoped to (a platform operator belongs to no tenant)."""
    return (await session.execute(select(User).where(User.id == user_id))).scalar_one_or_none()
