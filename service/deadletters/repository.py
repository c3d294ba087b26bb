"""Every query of dead letters: messages that exhausted their retries, across the platform.

The table has no mapped model: the queue's middleware writes it (service/kit/queue.py), and
platform operators read it and retry from it, here. It is platform-level (a platform session).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.errors import not_found

_COLUMNS = "id, tenant_id, message_id, queue, actor, kwargs, error, failed_at, retried_at"
_PAGE = text(
    f"SELECT {_COLUMNS} FROM dead_letters "  # noqa: S608 - our own names
    "WHERE (CAST(:before AS uuid) IS NULL OR id < :before) ORDER BY id DESC LIMIT :limit"
)
_ONE = text(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = :id FOR UPDATE")  # noqa: S608 - our own names
_RETRIED = text("UPDATE dead_letters SET retried_at = :now WHERE id = :id")


class DeadLettersRepository:
    """The platform's dead letters (a platform-level table: no tenant filter)."""

    resource = "dead-letter"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest_first(self, before: uuid.UUID | None, limit: int) -> tuple[list[Mapping[str, Any]], bool]:
        rows = (await self.session.execute(_PAGE, {"before": before, "limit": limit + 1})).all()
        return [dict(r._mapping) for r in rows[:limit]], len(rows) > limit

    async def get_or_404(self, dead_letter_id: uuid.UUID) -> dict[str, Any]:
        """The dead letter, locked (it is about to be retried), or the 404 of one."""
        row = (await self.session.execute(_ONE, {"id": dead_letter_id})).one_or_none()
        if row is None:
            raise not_found(self.resource)
        return dict(row._mapping)

    async def mark_retried(self, dead_letter_id: uuid.UUID, now: dt.datetime) -> None:
        await self.session.execute(_RETRIED, {"now": now, "id": dead_letter_id})
