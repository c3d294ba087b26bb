"""Every query of users: a tenant's staff and contractors, and users by id wherever they belong."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import User
from service.kit.permissions import Role
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

    async def among(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these are users of the tenant, disabled or not."""
        if not ids:
            return set()
        query = select(User.id).where(User.tenant_id == self.tenant_id, User.id.in_(list(ids)))
        return set((await self.session.execute(query)).scalars())

    async def any_disabled(self, ids: set[uuid.UUID]) -> bool:
        if not ids:
            return False
        query = select(func.count()).select_from(User).where(User.id.in_(ids), User.disabled_at.is_not(None))
        return bool(await self.session.scalar(query))

    async def active_by_names(self, names: Collection[str]) -> dict[str, uuid.UUID]:
        """The tenant's active users named by any of these login IDs or e-mail addresses (lower-cased)."""
        wanted = sorted({n.lower() for n in names})
        if not wanted:
            return {}
        query = select(User.id, func.lower(User.login_id), func.lower(User.email)).where(
            User.tenant_id == self.tenant_id,
            User.disabled_at.is_(None),
            func.lower(User.login_id).in_(wanted) | func.lower(User.email).in_(wanted),
        )
        found: dict[str, uuid.UUID] = {}
        for user_id, login_id, email in await self.session.execute(query):
            found[login_id], found[email] = user_id, user_id
        return found

    async def by_login_or_email(self, login_id: str, email: str) -> User | None:
        """Across the platform (logins are unique everywhere); RLS limits what this tenant sees,
        and the unique indexes catch the rest at flush."""
        query = self.select().where(
            (func.lower(User.login_id) == login_id.lower()) | (func.lower(User.email) == email.lower())
        )
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()

    async def listed(
        self,
        after: uuid.UUID | None,
        limit: int,
        *,
        role: str | None = None,
        unit_id: uuid.UUID | None = None,
        disabled: bool | None = None,
    ) -> tuple[list[User], bool]:
        """A page of the tenant's users in id order, with the filters given."""
        query = self.select()
        if role is not None:
            query = query.where(User.roles.contains([role]))
        if unit_id is not None:
            query = query.where(User.unit_id == unit_id)
        if disabled is not None:
            query = query.where(User.disabled_at.is_not(None) if disabled else User.disabled_at.is_(None))
        return await self.page(query, after, limit)

    async def active_administrators(self, *, other_than: uuid.UUID) -> int:
        """How many active general administrators the tenant has besides `other_than`."""
        query = (
            select(func.count())
            .select_from(User)
            .where(
                User.tenant_id == self.tenant_id,
                User.id != other_than,
                User.disabled_at.is_(None),
                User.roles.contains([Role.GENERAL_ADMINISTRATOR.value]),
            )
        )
        return int(await self.session.scalar(query) or 0)


class HomeUsersRepository:
    """Users by id in whatever the session is scoped to: a tenant, or the platform (a platform
    operator belongs to no tenant)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        query = select(User).where(User.id == user_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    def add(self, user: User) -> User:
        self.session.add(user)
        return user


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """A user by id in whatever the session is scoped to (a platform operator belongs to no tenant)."""
    return await HomeUsersRepository(session).get(user_id)
