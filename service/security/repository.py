"""Every query of recorded password changes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from service.kit.repository import TenantRepository
from service.security.models import PasswordChange


class PasswordChangesRepository(TenantRepository[PasswordChange]):
    model = PasswordChange
    resource = "password-change"

    async def last_changed_on(self, account_id: uuid.UUID) -> dt.date | None:
        query = select(func.max(PasswordChange.changed_on)).where(
            PasswordChange.tenant_id == self.tenant_id, PasswordChange.account_id == account_id
        )
        last: dt.date | None = await self.session.scalar(query)
        return last

    async def of_account(self, account_id: uuid.UUID) -> list[PasswordChange]:
        """Newest first."""
        query = (
            self.select()
            .where(PasswordChange.account_id == account_id)
            .order_by(PasswordChange.changed_on.desc(), PasswordChange.id.desc())
        )
        return list((await self.session.execute(query)).scalars())
