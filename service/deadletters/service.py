"""Dead letters: messages that exhausted their retries, and queueing one of them again.

A retried message goes to its actor as it was, in its tenant; the actor's retry handler (if it
declared one) first resets what its death marked failed, and the actor decides, as always,
whether there is still work. A dead letter is retried once; the retry is in the audit trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.deadletters.repository import DeadLettersRepository
from service.kit.clock import Clock
from service.kit.db import set_tenant
from service.kit.errors import conflict
from service.kit.queue import enqueue
from service.kit.registry import current


async def list_dead_letters(
    session: AsyncSession, before: uuid.UUID | None, limit: int
) -> tuple[list[Mapping[str, Any]], bool]:
    """Newest first (a platform session)."""
    return await DeadLettersRepository(session).newest_first(before, limit)


async def retry(session: AsyncSession, clock: Clock, dead_letter_id: uuid.UUID) -> dict[str, Any]:
    """Queue a dead message again (a platform session); the dead letter as it is now."""
    dead_letters = DeadLettersRepository(session)
    row = await dead_letters.get_or_404(dead_letter_id)
    if row["retried_at"] is not None:
        raise conflict("conflict.dead-letter-retried")
    kwargs = {k: v for k, v in dict(row["kwargs"]).items() if k != "tenant_id"}
    if row["tenant_id"] is not None:
        await set_tenant(session, row["tenant_id"])
    spec = current().actors.get(row["actor"])
    if spec is not None and (revive := spec.on_retry) is not None:
        await revive(session, dict(row["kwargs"]))
    await enqueue(session, row["actor"], tenant_id=row["tenant_id"], now=clock.now(), **kwargs)
    await dead_letters.mark_retried(dead_letter_id, clock.now())
    record(
        session,
        "dead_letter.retried",
        target_kind="dead_letter",
        target_id=dead_letter_id,
        tenant_id=None,
        changes={"actor": row["actor"], "message_id": row["message_id"]},
    )
    return {**row, "retried_at": clock.now()}
