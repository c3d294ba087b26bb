"""Every query of deadlines.

Scheduling is one `INSERT … ON CONFLICT` (a dedupe key per subject), and closing a deadline done
writes its audit entry in the same statement: both run for every deadline, so they stay SQL.
The sweep that queues due deadlines is `koshiki_sweep_deadlines`, in the database itself.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import STILL_TO_RUN, Deadline, DeadlineState
from service.kit.ids import uuid7
from service.kit.repository import TenantRepository

_SCHEDULE = """
    INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, payload, dedupe_key,
                           created_at, updated_at)
    VALUES (:id, :tenant_id, :kind, :subject_kind, :subject_id, :due_at, CAST(:payload AS jsonb), :key, :now, :now)
    ON CONFLICT (tenant_id, subject_kind, subject_id, dedupe_key) {on_conflict} RETURNING id
"""
# A cancelled deadline with the key is scheduled afresh; one done, pending or queued is left as it is.
_REVIVE = """DO UPDATE SET state = :pending, due_at = EXCLUDED.due_at, payload = EXCLUDED.payload,
                         updated_at = EXCLUDED.updated_at, attempts = 0, last_error = NULL, queued_at = NULL
             WHERE deadlines.state = :cancelled"""

# Done, and on the record, in one statement: this runs for every deadline.
_CLOSE = text(
    """
    WITH done AS (
      UPDATE deadlines SET state = :done, done_at = :now, updated_at = :now, attempts = attempts + 1
       WHERE id = :id RETURNING id, tenant_id, kind, subject_kind, subject_id
    )
    INSERT INTO audit_events (id, tenant_id, occurred_at, actor_kind, actor_label, action, target_kind, target_id, changes)
    SELECT :event_id, tenant_id, :now, 'system', 'system:worker:run_deadlines', 'deadline.done', 'deadline', id::text,
           jsonb_build_object('kind', kind, 'subject', subject_kind || ':' || subject_id)
      FROM done
    """
)


class DeadlinesRepository(TenantRepository[Deadline]):
    model = Deadline
    resource = "deadline"

    async def by_due_time(
        self, after: tuple[dt.datetime, uuid.UUID] | None, limit: int, *, state: DeadlineState | None = None
    ) -> tuple[list[Deadline], bool]:
        """Deadlines in order of their due time (then id), after the (due_at, id) of `after`."""
        query = self.select()
        if state is not None:
            query = query.where(Deadline.state == state)
        if after is not None:
            query = query.where(tuple_(Deadline.due_at, Deadline.id) > tuple_(*after))
        rows = list(
            (await self.session.execute(query.order_by(Deadline.due_at, Deadline.id).limit(limit + 1))).scalars()
        )
        return rows[:limit], len(rows) > limit

    async def schedule(
        self,
        *,
        kind: str,
        subject_kind: str,
        subject_id: str,
        due_at: dt.datetime,
        dedupe_key: str,
        now: dt.datetime,
        payload: dict[str, Any],
        revive: bool,
    ) -> bool:
        """Insert unless the subject has a deadline with this key (with `revive`: unless it has one
        that is not cancelled). True when a row was written."""
        params: dict[str, Any] = {
            "id": uuid7(),
            "tenant_id": self.tenant_id,
            "kind": kind,
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "due_at": due_at,
            "payload": json.dumps(payload, default=str),
            "key": dedupe_key,
            "now": now,
        }
        if revive:
            params |= {"pending": DeadlineState.PENDING.value, "cancelled": DeadlineState.CANCELLED.value}
        sql = _SCHEDULE.format(on_conflict=_REVIVE if revive else "DO NOTHING")
        inserted = await self.session.scalar(text(sql), params)
        return inserted is not None

    async def cancel(
        self,
        *,
        subject_kind: str,
        subject_id: str,
        now: dt.datetime,
        kinds: Collection[str] | None = None,
        keep_keys: frozenset[str] = frozenset(),
        due_after: dt.datetime | None = None,
    ) -> int:
        """Cancel the subject's deadlines still to run; how many were."""
        query = update(Deadline).where(
            Deadline.tenant_id == self.tenant_id,
            Deadline.subject_kind == subject_kind,
            Deadline.subject_id == subject_id,
            Deadline.state.in_(sorted(STILL_TO_RUN)),
        )
        if kinds is not None:
            query = query.where(Deadline.kind.in_(kinds))
        if keep_keys:
            query = query.where(Deadline.dedupe_key.not_in(keep_keys))
        if due_after is not None:
            query = query.where(Deadline.due_at > due_after)
        result = await self.session.execute(query.values(state=DeadlineState.CANCELLED, updated_at=now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def next_pending_payload(self, kind: str) -> dict[str, Any] | None:
        query = (
            select(Deadline.payload)
            .where(Deadline.tenant_id == self.tenant_id, Deadline.kind == kind, Deadline.state == DeadlineState.PENDING)
            .order_by(Deadline.due_at)
            .limit(1)
        )
        payload: dict[str, Any] | None = await self.session.scalar(query)
        return payload


# ---- the worker's statements (in the message's tenant; the ids come from the sweep) --------------------

# The account each deadline belongs to: its subject, or the account its payload names (a closure's,
# a declaration's). The worker locks it before the deadline, as requests lock it before anything of
# it (service.deadlines.tasks: lock order).
_OWNERS = text(
    """
    SELECT id, tenant_id, subject_kind, subject_id,
           CASE WHEN subject_kind = 'account' THEN subject_id ELSE payload->>'account_id' END AS account_id
      FROM deadlines
     WHERE id = ANY(:ids)
    """
)
_LOCK_ACCOUNT = text("SELECT 1 FROM accounts WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE")


@dataclass(frozen=True, slots=True)
class Owner:
    """What a deadline's handler will lock, as far as the deadline tells: its account, else its subject."""

    deadline_id: uuid.UUID
    tenant_id: uuid.UUID
    subject: tuple[str, str]
    account_id: uuid.UUID | None


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def owners(session: AsyncSession, ids: list[uuid.UUID]) -> list[Owner]:
    rows = await session.execute(_OWNERS, {"ids": ids})
    return [
        Owner(row.id, row.tenant_id, (row.subject_kind, row.subject_id), _uuid_or_none(row.account_id)) for row in rows
    ]


async def lock_account(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID) -> None:
    await session.execute(_LOCK_ACCOUNT, {"tenant_id": tenant_id, "id": account_id})


async def lock(session: AsyncSession, deadline_id: uuid.UUID) -> Deadline | None:
    query = select(Deadline).where(Deadline.id == deadline_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def close(session: AsyncSession, deadline_id: uuid.UUID, now: dt.datetime) -> None:
    """Mark a deadline done and write its audit entry."""
    await session.execute(
        _CLOSE, {"now": now, "id": deadline_id, "event_id": uuid7(), "done": DeadlineState.DONE.value}
    )


async def count_failure(session: AsyncSession, deadline_id: uuid.UUID, error: str, now: dt.datetime) -> None:
    await session.execute(
        update(Deadline)
        .where(Deadline.id == deadline_id, Deadline.state == DeadlineState.QUEUED)
        .values(attempts=Deadline.attempts + 1, last_error=error, updated_at=now)
    )


async def fail_queued(session: AsyncSession, ids: list[uuid.UUID], error: str, now: dt.datetime) -> None:
    await session.execute(
        update(Deadline)
        .where(Deadline.id.in_(ids), Deadline.state == DeadlineState.QUEUED)
        .values(state=DeadlineState.FAILED, last_error=error, updated_at=now)
    )


async def requeue_failed(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    await session.execute(
        update(Deadline)
        .where(Deadline.id.in_(ids), Deadline.state == DeadlineState.FAILED)
        .values(state=DeadlineState.QUEUED)
    )
