"""Every query of monitoring records and periodic reviews."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from service.kit.repository import TenantRepository
from service.monitoring.models import AccountReview, MonitoringRecord


class MonitoringRepository(TenantRepository[MonitoringRecord]):
    model = MonitoringRecord
    resource = "monitoring-record"

    async def last_look(self, account_id: uuid.UUID) -> dt.date | None:
        query = select(func.max(MonitoringRecord.monitored_on)).where(
            MonitoringRecord.tenant_id == self.tenant_id, MonitoringRecord.account_id == account_id
        )
        last: dt.date | None = await self.session.scalar(query)
        return last

    async def of_account(self, account_id: uuid.UUID) -> list[MonitoringRecord]:
        """Newest first."""
        query = (
            self.select()
            .where(MonitoringRecord.account_id == account_id)
            .order_by(MonitoringRecord.monitored_on.desc(), MonitoringRecord.id.desc())
        )
        return list((await self.session.execute(query)).scalars())


class ReviewsRepository(TenantRepository[AccountReview]):
    model = AccountReview
    resource = "review"

    async def last_review(self, account_id: uuid.UUID, kind: str) -> dt.date | None:
        query = select(func.max(AccountReview.reviewed_on)).where(
            AccountReview.tenant_id == self.tenant_id,
            AccountReview.account_id == account_id,
            AccountReview.kind == kind,
        )
        last: dt.date | None = await self.session.scalar(query)
        return last

    async def of_account(self, account_id: uuid.UUID, kind: str | None = None) -> list[AccountReview]:
        """Newest first."""
        query = self.select().where(AccountReview.account_id == account_id)
        if kind is not None:
            query = query.where(AccountReview.kind == kind)
        query = query.order_by(AccountReview.reviewed_on.desc(), AccountReview.id.desc())
        return list((await self.session.execute(query)).scalars())
