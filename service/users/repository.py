from __future__ import annotations

from sqlalchemy import func

from service.kit.repository import TenantRepository
from service.users.models import User


class UsersRepository(TenantRepository[User]):
    model = User

    async def by_login_or_email(self, login_id: str, email: str) -> User | None:
        """Across the platform (logins are unique everywhere); RLS limits what this tenant sees,
        and the unique indexes catch the rest at flush."""
        query = self.select().where(
            (func.lower(User.login_id) == login_id.lower()) | (func.lower(User.email) == email.lower())
        )
        return (await self.session.execute(query.limit(1))).scalar_one_or_none()
