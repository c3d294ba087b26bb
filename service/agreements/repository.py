"""Every query of agreements, their periods, covered accounts and login IDs."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import delete, select

from service.agreements.models import Agreement, AgreementAccount, AgreementPeriod, LoginId
from service.identity.models import User
from service.kit.repository import TenantRepository


class AgreementsRepository(TenantRepository[Agreement]):
    model = Agreement
    resource = "agreement"

    async def page_filtered(
        self,
        after: uuid.UUID | None,
        limit: int,
        *,
        within: frozenset[uuid.UUID] | None = None,
        finding: str | None = None,
        compliant: bool | None = None,
        state: str | None = None,
        kind: str | None = None,
        account_id: uuid.UUID | None = None,
    ) -> tuple[list[Agreement], bool]:
        query = self.select()
        if within is not None:
            query = query.where(Agreement.id.in_(within))
        if finding is not None:
            query = query.where(Agreement.finding_codes.contains([finding]))
        if compliant is not None:
            query = (
                query.where(Agreement.finding_codes == []) if compliant else query.where(Agreement.finding_codes != [])
            )
        if state is not None:
            query = query.where(Agreement.state == state)
        if kind is not None:
            query = query.where(Agreement.kind == kind)
        if account_id is not None:
            covering = select(AgreementAccount.agreement_id).where(
                AgreementAccount.tenant_id == self.tenant_id, AgreementAccount.account_id == account_id
            )
            query = query.where(Agreement.id.in_(covering))
        return await self.page(query, after, limit)

    async def of_user(self, user_id: uuid.UUID) -> Agreement | None:
        """The agreement a contractor user belongs to."""
        query = self.select().join(User, User.agreement_id == Agreement.id).where(User.id == user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def contractor_users(self, agreement: Agreement) -> list[uuid.UUID]:
        query = select(User.id).where(User.tenant_id == self.tenant_id, User.agreement_id == agreement.id)
        return list((await self.session.execute(query)).scalars())

    async def covered(self, agreement_id: uuid.UUID) -> list[uuid.UUID]:
        query = (
            select(AgreementAccount.account_id)
            .where(AgreementAccount.tenant_id == self.tenant_id, AgreementAccount.agreement_id == agreement_id)
            .order_by(AgreementAccount.account_id)
        )
        return list((await self.session.execute(query)).scalars())

    async def covered_by_each(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        rows = await self.session.execute(
            select(AgreementAccount.agreement_id, AgreementAccount.account_id)
            .where(AgreementAccount.tenant_id == self.tenant_id, AgreementAccount.agreement_id.in_(ids))
            .order_by(AgreementAccount.account_id)
        )
        for agreement_id, account_id in rows:
            found[agreement_id].append(account_id)
        return found

    async def periods_of_each(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[AgreementPeriod]]:
        found: dict[uuid.UUID, list[AgreementPeriod]] = defaultdict(list)
        rows = await self.session.execute(
            select(AgreementPeriod)
            .where(AgreementPeriod.tenant_id == self.tenant_id, AgreementPeriod.agreement_id.in_(ids))
            .order_by(AgreementPeriod.starts_on)
        )
        for period in rows.scalars():
            found[period.agreement_id].append(period)
        return found

    async def cover(self, agreement: Agreement, account_ids: list[uuid.UUID]) -> None:
        self.session.add_all(
            AgreementAccount(tenant_id=self.tenant_id, agreement_id=agreement.id, account_id=a) for a in account_ids
        )

    async def uncover(self, agreement: Agreement, account_ids: set[uuid.UUID]) -> None:
        await self.session.execute(
            delete(AgreementAccount).where(
                AgreementAccount.agreement_id == agreement.id, AgreementAccount.account_id.in_(account_ids)
            )
        )

    async def has_login_ids_on(self, agreement: Agreement, account_ids: set[uuid.UUID]) -> bool:
        query = select(LoginId.id).where(LoginId.agreement_id == agreement.id, LoginId.account_id.in_(account_ids))
        return (await self.session.scalar(query.limit(1))) is not None

    async def login_ids(self, agreement: Agreement, holder: str | None = None) -> list[LoginId]:
        query = select(LoginId).where(LoginId.tenant_id == self.tenant_id, LoginId.agreement_id == agreement.id)
        if holder is not None:
            query = query.where(LoginId.holder == holder)
        return list((await self.session.execute(query.order_by(LoginId.id))).scalars())
