"""Every query of the audit trail: the tenant's events, the platform's own, and writing new ones.

The trail is append-only: the application role may insert and read its rows, never change them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.audit.models import AuditEvent
from service.audit.schemas import AuditFilter


class AuditRepository:
    """Events of one tenant, or the platform's own (tenant None, platform session)."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def query(self, filters: AuditFilter) -> Select[AuditEvent]:
        column = AuditEvent.tenant_id
        query = select(AuditEvent).where(column.is_(None) if self.tenant_id is None else column == self.tenant_id)
        if filters.actor_id is not None:
            query = query.where(AuditEvent.actor_id == filters.actor_id)
        if filters.actor_kind is not None:
            query = query.where(AuditEvent.actor_kind == filters.actor_kind)
        if filters.action is not None:
            # "unit." matches every unit action; "unit.created" exactly that one.
            if filters.action.endswith("."):
                query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
            else:
                query = query.where(AuditEvent.action == filters.action)
        if filters.target_kind is not None:
            query = query.where(AuditEvent.target_kind == filters.target_kind)
        if filters.target_id is not None:
            query = query.where(AuditEvent.target_id == filters.target_id)
        if filters.since is not None:
            query = query.where(AuditEvent.occurred_at >= filters.since)
        if filters.until is not None:
            query = query.where(AuditEvent.occurred_at < filters.until)
        return query

    async def page(self, filters: AuditFilter, before: uuid.UUID | None, limit: int) -> tuple[list[AuditEvent], bool]:
        """Newest first."""
        query = self.query(filters)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list((await self.session.execute(query.order_by(AuditEvent.id.desc()).limit(limit + 1))).scalars())
        return rows[:limit], len(rows) > limit


def add_events(session: Session, events: Iterable[AuditEvent]) -> None:
    """Add events to the trail; they are written with the flush that made them (or the next one)."""
    session.add_all(list(events))
