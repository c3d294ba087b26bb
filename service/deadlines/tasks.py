"""The deadline actor: carry out a due deadline once, in its tenant, if it still calls for it."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.deadlines.models import Deadline
from service.deadlines.service import HANDLERS
from service.kit.queue import on_dead, on_retry, runtime, task, work


@task(queue="deadlines", max_retries=5)
async def run_deadline(deadline_id: str, tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    try:
        async with work(tenant_id, "run_deadline") as session:
            deadline = (
                await session.execute(select(Deadline).where(Deadline.id == uuid.UUID(deadline_id)).with_for_update())
            ).scalar_one_or_none()
            # Done, cancelled or failed already (a redelivery, a withdrawn process): nothing to do.
            if deadline is None or deadline.state != "queued":
                return
            handler = HANDLERS.get(deadline.kind)
            if handler is None:
                raise LookupError(f"no handler for deadline kind {deadline.kind!r}")
            await handler(session, deadline, now)
            deadline.state = "done"
            deadline.done_at = now
            deadline.updated_at = now
            deadline.attempts += 1
            record(
                session,
                "deadline.done",
                target_kind="deadline",
                target_id=deadline.id,
                tenant_id=deadline.tenant_id,
                changes={"kind": deadline.kind, "subject": f"{deadline.subject_kind}:{deadline.subject_id}"},
            )
    except Exception as exc:
        # Keep count of failures on the row itself, then let the queue retry with backoff.
        async with work(tenant_id, "run_deadline") as session:
            await session.execute(
                update(Deadline)
                .where(Deadline.id == uuid.UUID(deadline_id), Deadline.state == "queued")
                .values(
                    attempts=Deadline.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=now
                )
            )
        raise


@on_dead("run_deadline")
async def _deadline_failed(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    """Out of retries: the deadline is marked failed (visible through the API), never left queued
    for the sweep to pick up again and again."""
    await session.execute(
        update(Deadline)
        .where(Deadline.id == uuid.UUID(str(kwargs["deadline_id"])), Deadline.state == "queued")
        .values(state="failed", last_error=error, updated_at=runtime().clock.now())
    )


@on_retry("run_deadline")
async def _deadline_retried(session: AsyncSession, kwargs: dict[str, object]) -> None:
    """A failed deadline retried by an operator runs again."""
    await session.execute(
        update(Deadline)
        .where(Deadline.id == uuid.UUID(str(kwargs["deadline_id"])), Deadline.state == "failed")
        .values(state="queued")
    )
