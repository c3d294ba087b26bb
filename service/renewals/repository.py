"""Every query of the declaration rounds: set-based, since a round opens for every live account of a
tenant at once (bench/renewals.py: 100,000 accounts)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import text

from service.accounts.models import CONTINUING
from service.kit.repository import TenantRepository
from service.renewals.models import ContinuationDeclaration, RenewalDeadline

_OPEN_DECLARATIONS = text(
    """
    INSERT INTO continuation_declarations (id, tenant_id, account_id, due_on, created_at, updated_at)
    SELECT gen_random_uuid(), a.tenant_id, a.id, :due_on, :now, :now
      FROM accounts a
     WHERE a.tenant_id = :tenant AND a.status = ANY(CAST(:continuing AS text[]))
       AND (CAST(:account AS uuid) IS NULL OR a.id = CAST(:account AS uuid))
    ON CONFLICT (tenant_id, account_id, due_on) DO NOTHING
    """
)
# Each unanswered declaration of the round × each (kind, time, key) of the round's schedule.
_OPEN_DEADLINES = text(
    """
    INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, payload, dedupe_key,
                           created_at, updated_at)
    SELECT gen_random_uuid(), d.tenant_id, s.kind, 'account', d.account_id::text, s.due_at,
           jsonb_build_object('due_on', CAST(:due_on AS date), 'days_before', s.days_before,
                              'declaration_id', d.id::text),
           s.dedupe_key, :now, :now
      FROM continuation_declarations d
     CROSS JOIN unnest(CAST(:kinds AS text[]), CAST(:due_ats AS timestamptz[]), CAST(:days AS integer[]),
                       CAST(:keys AS text[])) AS s(kind, due_at, days_before, dedupe_key)
     WHERE d.tenant_id = :tenant AND d.due_on = :due_on AND d.decision IS NULL
       AND (CAST(:account AS uuid) IS NULL OR d.account_id = CAST(:account AS uuid))
    ON CONFLICT (tenant_id, subject_kind, subject_id, dedupe_key) DO NOTHING
    """
)
# What the schedule no longer holds (another round, a reminder point taken out) and is yet to come.
_CANCEL_STALE = text(
    """
    UPDATE deadlines SET state = 'cancelled', updated_at = :now
     WHERE tenant_id = :tenant AND kind = ANY(CAST(:kinds AS text[])) AND state = 'pending'
       AND due_at > :now AND NOT (dedupe_key = ANY (CAST(:keys AS text[])))
    """
)


class DeclarationsRepository(TenantRepository[ContinuationDeclaration]):
    model = ContinuationDeclaration
    resource = "declaration"

    async def page_filtered(
        self,
        after: uuid.UUID | None,
        limit: int,
        *,
        due_on: dt.date | None = None,
        account_id: uuid.UUID | None = None,
        state: str | None = None,
    ) -> tuple[list[ContinuationDeclaration], bool]:
        """Declarations in the order they were made, filtered; `state` is declared, overdue or pending."""
        D = ContinuationDeclaration
        query = self.select()
        if due_on is not None:
            query = query.where(D.due_on == due_on)
        if account_id is not None:
            query = query.where(D.account_id == account_id)
        if state == "declared":
            query = query.where(D.decision.is_not(None))
        elif state == "overdue":
            query = query.where(D.decision.is_(None), D.overdue_at.is_not(None))
        elif state == "pending":
            query = query.where(D.decision.is_(None), D.overdue_at.is_(None))
        return await self.page(query, after, limit)

    async def open_round(self, due_on: dt.date, now: dt.datetime, *, account_id: uuid.UUID | None) -> None:
        """A declaration for each continuing account (or the one given), once."""
        await self.session.execute(
            _OPEN_DECLARATIONS,
            {"tenant": self.tenant_id, "due_on": due_on, "now": now, "account": account_id,
             "continuing": sorted(CONTINUING)},
        )  # fmt: skip

    async def schedule_round(
        self,
        due_on: dt.date,
        entries: list[tuple[str, dt.datetime, int, str]],
        now: dt.datetime,
        *,
        account_id: uuid.UUID | None,
    ) -> None:
        """Each unanswered declaration's reminders and deadline: (kind, due_at, days_before, key) each."""
        if not entries:
            return
        kinds, due_ats, days, keys = (list(column) for column in zip(*entries, strict=True))
        params: dict[str, Any] = {"tenant": self.tenant_id, "due_on": due_on, "now": now, "account": account_id}
        await self.session.execute(
            _OPEN_DEADLINES, {**params, "kinds": kinds, "due_ats": due_ats, "days": days, "keys": keys}
        )

    async def cancel_stale_deadlines(self, keep_keys: list[str], now: dt.datetime) -> None:
        """The round's deadlines yet to come that the schedule no longer holds."""
        await self.session.execute(
            _CANCEL_STALE,
            {"tenant": self.tenant_id, "now": now, "keys": keep_keys, "kinds": [k.value for k in RenewalDeadline]},
        )
