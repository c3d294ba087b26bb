"""The deadline actor: carry out due deadlines, each once, in its tenant, if it still calls for it.

The sweep hands deadlines over in messages of up to 50 (one tenant each). They run in one
transaction, each inside a savepoint of its own, so one that fails does not hold back the others:
its changes are undone, its failure is counted, the rest commit, and the message is retried for
the ones still queued (those done are skipped by their state).

Lock order. The locks a deadline takes stay held until the whole batch commits, so two batches
(or a batch and a request) touching the same accounts would deadlock if they took them in
different orders. A batch therefore runs its deadlines in one order (`service.in_lock_order`:
those of no account by subject, then those of accounts by account id, whatever their due order),
and for each locks the account it belongs to before the deadline row and before the handler
locks anything of the account, as requests do (the account before its closures, declarations,
deadlines). A deadlock or serialization failure that happens all the same undoes that deadline's
savepoint only; the deadline is run again at once, and if it loses again it is left queued for the
message's retry without being counted as a failure of its own (a lost race is not a poison).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines import service
from service.kit.db import Failure, failure_of
from service.kit.queue import runtime, work
from service.kit.registry import Registry

log = logging.getLogger("koshiki.deadlines")


class DeadlinesFailed(Exception):
    """Some deadlines of a message failed; the message is retried for them."""


class DeadlinesContended(DeadlinesFailed):
    """Some deadlines of a message lost a race twice (deadlock, serialization failure); retried."""


async def run_deadlines(deadline_ids: list[str], tenant_id: str | None = None) -> None:
    now = runtime().clock.now()
    failures, contended = [], []
    async with work(tenant_id, "run_deadlines") as session:
        for deadline_id, owner in await service.in_lock_order(session, [uuid.UUID(raw) for raw in deadline_ids]):
            for attempt in (1, 2):
                try:
                    async with session.begin_nested():
                        await service.run_one(session, deadline_id, now, owner=owner)
                except Exception as exc:
                    if failure_of(exc) is Failure.CONCURRENCY:
                        log.warning("deadline %s lost a race (attempt %d): %s", deadline_id, attempt, exc)
                        if attempt == 1:
                            continue  # its savepoint is undone, its locks released: run it again
                        contended.append(f"{deadline_id}: {type(exc).__name__}: {exc}")
                        break
                    failures.append(f"{deadline_id}: {type(exc).__name__}: {exc}")
                    await service.count_failure(session, deadline_id, f"{type(exc).__name__}: {exc}", now)
                break
    if failures:
        raise DeadlinesFailed("; ".join([*failures, *contended])[:2000])
    if contended:
        raise DeadlinesContended("; ".join(contended)[:2000])


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
