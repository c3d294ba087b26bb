"""The deadline actor: carry out due deadlines, each once, in its tenant, if it still calls for it.

The sweep hands deadlines over in messages of up to 50 (one tenant each). They run in one
transaction, each inside a savepoint of its own, so one that fails does not hold back the others:
its changes are undone, its failure is counted, the rest commit, and the message is retried for
the ones still queued (those done are skipped by their state).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines import service
from service.kit.queue import runtime, work
from service.kit.registry import Registry


class DeadlinesFailed(Exception):
    """Some deadlines of a message failed; the message is retried for them."""


async def run_deadlines(deadline_ids: list[str], tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    failures = []
    async with work(tenant_id, "run_deadlines") as session:
        for raw in deadline_ids:
            deadline_id = uuid.UUID(raw)
            try:
                async with session.begin_nested():
                    await service.run_one(session, deadline_id, now)
            except Exception as exc:
                failures.append(f"{raw}: {type(exc).__name__}: {exc}")
                await service.count_failure(session, deadline_id, f"{type(exc).__name__}: {exc}", now)
    if failures:
        raise DeadlinesFailed("; ".join(failures)[:2000])


def _ids(kwargs: dict[str, object]) -> list[uuid.UUID]:
    return [uuid.UUID(str(i)) for i in kwargs["deadline_ids"]]  # type: ignore[attr-defined]


async def _deadlines_failed(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    await service.give_up(session, _ids(kwargs), error, runtime().clock.now())


async def _deadlines_retried(session: AsyncSession, kwargs: dict[str, object]) -> None:
    await service.run_again(session, _ids(kwargs))


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
