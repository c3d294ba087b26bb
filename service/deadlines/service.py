"""Deadlines: scheduling them, cancelling them, and what each kind does when it falls due.

Scheduling is idempotent (a `dedupe_key` per tenant), so re-deriving a tenant's deadlines from
its configuration never doubles one. Cancelling stops every pending or queued deadline of a
subject; a worker that receives a cancelled one does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.kit import registry
from service.kit.ids import uuid7


async def schedule(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    subject_kind: str,
    subject_id: str,
    due_at: dt.datetime,
    dedupe_key: str,
    now: dt.datetime,
    payload: dict[str, Any] | None = None,
    revive: bool = False,
) -> bool:
    """Schedule a deadline unless the subject has one with this key already. True when it was new.
    With `revive`, one with the key that was cancelled is scheduled afresh (a rule switched off
    and on again); one done or pending is left as it is. The kind must be one a domain declared,
    with its handler, to the bootstrap."""
    if kind not in registry.current().deadlines:
        raise ValueError(f"deadline kind {kind!r} is not declared by any domain of this process")
    on_conflict = (
        """DO UPDATE SET state = 'pending', due_at = EXCLUDED.due_at, payload = EXCLUDED.payload,
                         updated_at = EXCLUDED.updated_at, attempts = 0, last_error = NULL, queued_at = NULL
             WHERE deadlines.state = 'cancelled'"""
        if revive
        else "DO NOTHING"
    )
    inserted = await session.scalar(
        text(
            f"""
            INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, payload, dedupe_key,
                                   created_at, updated_at)
            VALUES (:id, :tenant_id, :kind, :subject_kind, :subject_id, :due_at, CAST(:payload AS jsonb), :key, :now, :now)
            ON CONFLICT (tenant_id, subject_kind, subject_id, dedupe_key) {on_conflict} RETURNING id
            """  # noqa: S608 - one of two constant clauses
        ),
        {
            "id": uuid7(),
            "tenant_id": tenant_id,
            "kind": kind,
            "subject_kind": subject_kind,
            "subject_id": subject_id,
            "due_at": due_at,
            "payload": json.dumps(payload or {}, default=str),
            "key": dedupe_key,
            "now": now,
        },
    )
    return inserted is not None


async def cancel(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    subject_kind: str,
    subject_id: str,
    now: dt.datetime,
    kinds: tuple[str, ...] | None = None,
    keep_keys: frozenset[str] = frozenset(),
    due_after: dt.datetime | None = None,
) -> int:
    """Cancel the subject's deadlines that have not run (of `kinds`, if given; except `keep_keys`;
    only those due after `due_after`, if given)."""
    query = update(Deadline).where(
        Deadline.tenant_id == tenant_id,
        Deadline.subject_kind == subject_kind,
        Deadline.subject_id == subject_id,
        Deadline.state.in_(("pending", "queued")),
    )
    if kinds is not None:
        query = query.where(Deadline.kind.in_(kinds))
    if keep_keys:
        query = query.where(Deadline.dedupe_key.not_in(keep_keys))
    if due_after is not None:
        query = query.where(Deadline.due_at > due_after)
    result = await session.execute(query.values(state="cancelled", updated_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def next_pending_payload(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> dict[str, Any] | None:
    """The payload of the tenant's next pending deadline of a kind (None: there is none)."""
    query = (
        select(Deadline.payload)
        .where(Deadline.tenant_id == tenant_id, Deadline.kind == kind, Deadline.state == "pending")
        .order_by(Deadline.due_at)
        .limit(1)
    )
    payload: dict[str, Any] | None = await session.scalar(query)
    return payload
