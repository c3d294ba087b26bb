"""Every query of applications."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from service.accounts.models import Account
from service.applications.models import Application, ApplicationKind, ApplicationState
from service.kit.repository import TenantRepository


class ApplicationsRepository(TenantRepository[Application]):
    model = Application
    resource = "application"

    async def newest_first(
        self,
        before: uuid.UUID | None,
        limit: int,
        *,
        state: ApplicationState | None = None,
        kind: ApplicationKind | None = None,
        account_id: uuid.UUID | None = None,
        unit_id: uuid.UUID | None = None,
    ) -> tuple[list[Application], bool]:
        query = self.select()
        if state is not None:
            query = query.where(Application.state == state)
        if kind is not None:
            query = query.where(Application.kind == kind)
        if account_id is not None:
            query = query.where(Application.account_id == account_id)
        if unit_id is not None:
            in_unit = select(Account.id).where(Account.tenant_id == self.tenant_id, Account.unit_id == unit_id)
            query = query.where(Application.account_id.in_(in_unit))
        return await self.page(query, before, limit, newest_first=True)

    async def forget_people(self, account_id: uuid.UUID, marker: str) -> None:
        """Who made and decided the account's applications, forgotten (its retention ran out)."""
        await self.session.execute(
            update(Application)
            .where(Application.tenant_id == self.tenant_id, Application.account_id == account_id)
            .values(created_by=None, created_by_label=marker, decided_by=None, decided_by_label=marker)
        )
