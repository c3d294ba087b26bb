"""Every query of incidents and their timelines."""

from __future__ import annotations

import uuid

from service.incidents.models import Incident, IncidentEntry
from service.kit.repository import TenantRepository


class IncidentsRepository(TenantRepository[Incident]):
    model = Incident
    resource = "incident"

    async def newest_first(
        self,
        before: uuid.UUID | None,
        limit: int,
        *,
        state: str | None = None,
        kind: str | None = None,
        account_id: uuid.UUID | None = None,
    ) -> tuple[list[Incident], bool]:
        query = self.select()
        if state is not None:
            query = query.where(Incident.state == state)
        if kind is not None:
            query = query.where(Incident.kind == kind)
        if account_id is not None:
            query = query.where(Incident.account_id == account_id)
        return await self.page(query, before, limit, newest_first=True)

    async def entries(self, incident: Incident) -> list[IncidentEntry]:
        query = (
            IncidentEntriesRepository(self.session, self.tenant_id)
            .select()
            .where(IncidentEntry.incident_id == incident.id)
            .order_by(IncidentEntry.happened_at, IncidentEntry.id)
        )
        return list((await self.session.execute(query)).scalars())


class IncidentEntriesRepository(TenantRepository[IncidentEntry]):
    model = IncidentEntry
    resource = "incident-entry"
