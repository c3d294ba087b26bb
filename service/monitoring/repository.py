"""Every query of monitoring records and periodic reviews."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.repository import TenantRepository, insert_columns
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


_INSERT_HISTORY = text(
    """
    INSERT INTO monitoring_records (id, tenant_id, account_id, monitored_on, issues_found, findings, recorded_by,
                                    created_at)
    SELECT r.id, :tenant, r.account_id, r.monitored_on, r.issues_found, r.findings, :by, :now
      FROM unnest(CAST(:ids AS uuid[]), CAST(:accounts AS uuid[]), CAST(:days AS date[]),
                  CAST(:issues AS boolean[]), CAST(:findings AS text[]))
           AS r(id, account_id, monitored_on, issues_found, findings)
     WHERE NOT EXISTS (SELECT 1 FROM monitoring_records m
                        WHERE m.tenant_id = :tenant AND m.account_id = r.account_id
                          AND m.monitored_on = r.monitored_on AND m.findings = r.findings)
    """
)


async def insert_history(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, uuid.UUID, dt.date, bool, str]],
    by: str,
    now: dt.datetime,
) -> int:
    """Insert monitoring records (id, account, day, issues found, findings) not there yet; how many were."""
    return await insert_columns(
        session,
        _INSERT_HISTORY,
        ("ids", "accounts", "days", "issues", "findings"),
        rows,
        {"tenant": tenant_id, "by": by, "now": now},
    )
