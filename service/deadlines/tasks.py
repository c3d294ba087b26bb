"""The deadline actor: carry out due deadlines, each once, in its tenant, if it still calls for it.

The sweep hands deadlines over in messages of up to 50 (one tenant each). They run in one
transaction, each inside a savepoint of its own, so one that fails does not hold back the others:
its changes are undone, its failure is counted, the rest commit, and the message is retried for
the ones still queued (those done are skipped by their state).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.kit.ids import uuid7
from service.kit.queue import runtime, work
from service.kit.registry import Registry, current

log = logging.getLogger("koshiki.deadlines")

# Done, and on the record, in one statement: this runs for every deadline.
_CLOSE = text(
    """
    WITH done AS (
      UPDATE deadlines SET state = 'done', done_at = :now, updated_at = :now, attempts = attempts + 1
       WHERE id = :id RETURNING id, tenant_id, kind, subject_kind, subject_id
    )
    INSERT INTO audit_events (id, tenant_id, occurred_at, actor_kind, actor_label, action, target_kind, target_id, changes)
    SELECT :event_id, tenant_id, :now, 'system', 'system:worker:run_deadlines', 'deadline.done', 'deadline', id::text,
           jsonb_build_object('kind', kind, 'subject', subject_kind || ':' || subject_id)
      FROM done
    """
)


class DeadlinesFailed(Exception):
    """Some deadlines of a message failed; the message is retried for them."""


async def run_one(session: AsyncSession, deadline_id: uuid.UUID, now: dt.datetime) -> None:
    deadline = (
        await session.execute(select(Deadline).where(Deadline.id == deadline_id).with_for_update())
    ).scalar_one_or_none()
    # Done, cancelled or failed already (a redelivery, a withdrawn process): nothing to do.
    if deadline is None or deadline.state != "queued":
        return
    await current().deadline_handler(deadline.kind)(session, deadline, now)
    await session.flush()  # whatever the handler changed, before the deadline is closed
    await session.execute(_CLOSE, {"now": now, "id": deadline.id, "event_id": uuid7()})
    log.info(
        "deadline done",
        extra={"kind": deadline.kind, "tenant_id": str(deadline.tenant_id), "due_at": deadline.due_at.isoformat()},
    )


async def run_deadlines(deadline_ids: list[str], tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    failures = []
    async with work(tenant_id, "run_deadlines") as session:
        for raw in deadline_ids:
            deadline_id = uuid.UUID(raw)
            try:
                async with session.begin_nested():
                    await run_one(session, deadline_id, now)
            except Exception as exc:
                failures.append(f"{raw}: {type(exc).__name__}: {exc}")
                # Keep count of failures on the row itself; the queue retries with backoff.
                await session.execute(
                    update(Deadline)
                    .where(Deadline.id == deadline_id, Deadline.state == "queued")
                    .values(
                        attempts=Deadline.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000], updated_at=now
                    )
                )
    if failures:
        raise DeadlinesFailed("; ".join(failures)[:2000])


def _ids(kwargs: dict[str, object]) -> list[uuid.UUID]:
    return [uuid.UUID(str(i)) for i in kwargs["deadline_ids"]]  # type: ignore[attr-defined]


async def _deadlines_failed(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    """Out of retries: the deadlines still queued are marked failed (visible through the API),
    never left for the sweep to pick up again and again."""
    await session.execute(
        update(Deadline)
        .where(Deadline.id.in_(_ids(kwargs)), Deadline.state == "queued")
        .values(state="failed", last_error=error, updated_at=runtime().clock.now())
    )


async def _deadlines_retried(session: AsyncSession, kwargs: dict[str, object]) -> None:
    """Failed deadlines retried by an operator run again."""
    await session.execute(
        update(Deadline).where(Deadline.id.in_(_ids(kwargs)), Deadline.state == "failed").values(state="queued")
    )


# Deadline events that are not any one domain's: a tenant-wide deadline approaching, or missed.
EVENTS = {
    "deadline.due": ("期限が近づいた、または到来した", "A deadline is approaching or has arrived"),
    "deadline.overdue": ("期限を過ぎても対応がない", "A deadline passed without the action it asked for"),
}


def register(registry: Registry) -> None:
    registry.actor(
        run_deadlines, queue="deadlines", max_retries=5, on_dead=_deadlines_failed, on_retry=_deadlines_retried
    )
    # The sweep (koshiki_sweep_deadlines, in SQL) writes messages for this actor.
    registry.require_actor("run_deadlines", by="the deadline sweep")
    registry.events(EVENTS, owner=__name__)
