"""Every query of acknowledgements and training sessions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from service.kit.repository import TenantRepository
from service.training.models import Acknowledgement, TrainingKind, TrainingSession


class AcknowledgementsRepository(TenantRepository[Acknowledgement]):
    model = Acknowledgement
    resource = "acknowledgement"

    async def of(self, version: int, user_id: uuid.UUID) -> Acknowledgement | None:
        query = self.select().where(Acknowledgement.version == version, Acknowledgement.user_id == user_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def newest_first(
        self,
        before: uuid.UUID | None,
        limit: int,
        *,
        version: int | None = None,
        user_id: uuid.UUID | None = None,
        unit_id: uuid.UUID | None = None,
    ) -> tuple[list[Acknowledgement], bool]:
        query = self.select()
        if version is not None:
            query = query.where(Acknowledgement.version == version)
        if user_id is not None:
            query = query.where(Acknowledgement.user_id == user_id)
        if unit_id is not None:
            query = query.where(Acknowledgement.unit_id == unit_id)
        return await self.page(query, before, limit, newest_first=True)

    async def users_of(self, version: int) -> set[uuid.UUID]:
        query = select(Acknowledgement.user_id).where(
            Acknowledgement.tenant_id == self.tenant_id, Acknowledgement.version == version
        )
        return set((await self.session.execute(query)).scalars())

    async def units_of(self, version: int) -> set[uuid.UUID]:
        query = (
            select(Acknowledgement.unit_id)
            .where(
                Acknowledgement.tenant_id == self.tenant_id,
                Acknowledgement.version == version,
                Acknowledgement.unit_id.is_not(None),
            )
            .distinct()
        )
        return {unit for unit in (await self.session.execute(query)).scalars() if unit is not None}


class TrainingSessionsRepository(TenantRepository[TrainingSession]):
    model = TrainingSession
    resource = "training-session"

    async def newest_first(
        self,
        after: tuple[dt.date, uuid.UUID] | None,
        limit: int,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        kind: TrainingKind | None = None,
    ) -> tuple[list[TrainingSession], bool]:
        """Sessions by the day they were held, latest first, past the (held_on, id) of the page before."""
        query = self.select()
        if since is not None:
            query = query.where(TrainingSession.held_on >= since)
        if until is not None:
            query = query.where(TrainingSession.held_on <= until)
        if kind is not None:
            query = query.where(TrainingSession.kind == kind)
        if after is not None:
            held_on, last = after
            query = query.where(
                (TrainingSession.held_on < held_on)
                | ((TrainingSession.held_on == held_on) & (TrainingSession.id < last))
            )
        query = query.order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()).limit(limit + 1)
        rows = list((await self.session.execute(query)).scalars())
        return rows[:limit], len(rows) > limit

    async def between(self, since: dt.date, until: dt.date) -> list[TrainingSession]:
        query = (
            self.select()
            .where(TrainingSession.held_on >= since, TrainingSession.held_on <= until)
            .order_by(TrainingSession.held_on, TrainingSession.id)
        )
        return list((await self.session.execute(query)).scalars())
