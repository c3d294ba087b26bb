"""Every query of recorded password changes."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.repository import TenantRepository, insert_columns
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


_INSERT_HISTORY = text(
    """
    INSERT INTO password_changes (id, tenant_id, account_id, changed_on, meets_policy, policy_version, recorded_by,
                                  note, created_at)
    SELECT r.id, :tenant, r.account_id, r.changed_on, r.meets_policy, NULL, :by, r.note, :now
      FROM unnest(CAST(:ids AS uuid[]), CAST(:accounts AS uuid[]), CAST(:days AS date[]),
                  CAST(:met AS boolean[]), CAST(:notes AS text[]))
           AS r(id, account_id, changed_on, meets_policy, note)
     WHERE NOT EXISTS (SELECT 1 FROM password_changes c
                        WHERE c.tenant_id = :tenant AND c.account_id = r.account_id AND c.changed_on = r.changed_on)
    """
)


async def insert_history(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, uuid.UUID, dt.date, bool, str]],
    by: str,
    now: dt.datetime,
) -> int:
    """Insert password changes (id, account, day, attested to meet the policy, note) not there yet; how many were."""
    return await insert_columns(
        session,
        _INSERT_HISTORY,
        ("ids", "accounts", "days", "met", "notes"),
        rows,
        {"tenant": tenant_id, "by": by, "now": now},
    )
