"""Deadlines: scheduling them, cancelling them, and carrying them out when they fall due.

Scheduling is idempotent (a `dedupe_key` per tenant), so re-deriving a tenant's deadlines from
its configuration never doubles one. Cancelling stops every deadline of a subject still to run;
a worker that receives a cancelled one does nothing. What each kind does when it falls due is its
domain's handler, declared to the bootstrap.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines import repository
from service.deadlines.models import Deadline, DeadlineState
from service.deadlines.repository import DeadlinesRepository, Owner
from service.kit import registry
from service.kit.context import Ctx

log = logging.getLogger("koshiki.deadlines")


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
    return await DeadlinesRepository(session, tenant_id).schedule(
        kind=kind,
        subject_kind=subject_kind,
        subject_id=subject_id,
        due_at=due_at,
        dedupe_key=dedupe_key,
        now=now,
        payload=payload or {},
        revive=revive,
    )


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
    return await DeadlinesRepository(session, tenant_id).cancel(
        subject_kind=subject_kind,
        subject_id=subject_id,
        now=now,
        kinds=kinds,
        keep_keys=keep_keys,
        due_after=due_after,
    )


async def next_pending_payload(session: AsyncSession, tenant_id: uuid.UUID, kind: str) -> dict[str, Any] | None:
    """The payload of the tenant's next pending deadline of a kind (None: there is none)."""
    return await DeadlinesRepository(session, tenant_id).next_pending_payload(kind)


async def list_deadlines(
    ctx: Ctx, after: tuple[dt.datetime, uuid.UUID] | None, limit: int, *, state: DeadlineState | None = None
) -> tuple[list[Deadline], bool]:
    """The tenant's deadlines by due time, after the (due_at, id) of the previous page."""
    return await DeadlinesRepository(ctx.session, ctx.tenant_id).by_due_time(after, limit, state=state)


# ---- the worker's part ---------------------------------------------------------------------------------


async def in_lock_order(session: AsyncSession, ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, Owner | None]]:
    """A batch's deadlines in the order the worker runs them, so that two batches touching the same
    rows lock them in the same order and never wait for each other: first those that belong to no
    account (an agreement's, a tenant's: their handlers lock the agreement before its accounts, as
    requests do), by subject; then those of accounts, by account id. Ids not found come last."""
    found = {owner.deadline_id: owner for owner in await repository.owners(session, ids)}

    def key(deadline_id: uuid.UUID) -> tuple[int, str, str, str]:
        owner = found.get(deadline_id)
        if owner is None:
            return (2, "", "", str(deadline_id))
        if owner.account_id is None:
            return (0, *owner.subject, str(deadline_id))
        return (1, str(owner.account_id), "", str(deadline_id))

    return [(deadline_id, found.get(deadline_id)) for deadline_id in sorted(dict.fromkeys(ids), key=key)]


async def run_one(
    session: AsyncSession, deadline_id: uuid.UUID, now: dt.datetime, *, owner: Owner | None = None
) -> None:
    """Carry out one queued deadline with its kind's handler, then close it (done, and audited).
    With its `owner`, the account it belongs to is locked first: the account before anything of it."""
    if owner is not None and owner.account_id is not None:
        await repository.lock_account(session, owner.tenant_id, owner.account_id)
    deadline = await repository.lock(session, deadline_id)
    # Done, cancelled or failed already (a redelivery, a withdrawn process): nothing to do.
    if deadline is None or deadline.state != DeadlineState.QUEUED:
        return
    await registry.current().deadline_handler(deadline.kind)(session, deadline, now)
    await session.flush()  # whatever the handler changed, before the deadline is closed
    await repository.close(session, deadline.id, now)
    log.info(
        "deadline done",
        extra={"kind": deadline.kind, "tenant_id": str(deadline.tenant_id), "due_at": deadline.due_at.isoformat()},
    )


async def count_failure(session: AsyncSession, deadline_id: uuid.UUID, error: str, now: dt.datetime) -> None:
    """Keep count of a queued deadline's failures on the row itself (the queue retries with backoff)."""
    await repository.count_failure(session, deadline_id, error[:2000], now)


async def give_up(session: AsyncSession, deadline_ids: list[uuid.UUID], error: str, now: dt.datetime) -> None:
    """Out of retries: the deadlines still queued are marked failed (visible through the API),
    never left for the sweep to pick up again and again."""
    await repository.fail_queued(session, deadline_ids, error, now)


async def run_again(session: AsyncSession, deadline_ids: list[uuid.UUID]) -> None:
    """Failed deadlines retried by an operator are queued again."""
    await repository.requeue_failed(session, deadline_ids)
