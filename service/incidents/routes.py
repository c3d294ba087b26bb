"""/v1/tenants/{tenant_id}/incidents: incidents, their timeline, their resolution."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.incidents import service
from service.incidents.models import Incident
from service.incidents.schemas import EntryCreate, EntryRead, IncidentCreate, IncidentRead, Kind, Resolve
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems


async def incident_read(session: AsyncSession, incident: Incident, clock: Clock) -> IncidentRead:
    entries = await service.entries_of(session, incident)
    _, config = await accounts.config_in_force(session, incident.tenant_id, clock)
    return IncidentRead(
        id=incident.id,
        tenant_id=incident.tenant_id,
        account_id=incident.account_id,
        kind=incident.kind,  # type: ignore[arg-type]
        severity=incident.severity,  # type: ignore[arg-type]
        title=incident.title,
        description=incident.description,
        crime=incident.crime,
        fake_url=incident.fake_url,
        warning_id=incident.warning_id,
        state=incident.state,  # type: ignore[arg-type]
        reported_by=incident.reported_by,
        reported_at=incident.reported_at,
        resolved_at=incident.resolved_at,
        resolution=incident.resolution,
        to_notify=service.to_notify(incident, config or {}, entries) if incident.state == "open" else [],
        timeline=[msgspec.convert(e, EntryRead, from_attributes=True) for e in entries],
        version=incident.version,
    )


class IncidentController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/incidents"
    tags = ["Incidents"]

    @post(
        "/",
        operation_id="reportIncident",
        summary="Report an incident (a takeover suspends the account at once)",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def report(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[IncidentCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[IncidentRead]:
        """The kind must be one the tenant's configuration handles. An impersonation with
        `publish_warning` (by default where the tenant announces impersonation) warns in the
        public register; `to_notify` lists who the rules say must be told."""
        incident = await service.report(db_session, current_tenant_id, clock, principal, data)
        return Response(await incident_read(db_session, incident, clock), status_code=201)

    @get(
        "/",
        operation_id="listIncidents",
        summary="Incidents, newest first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[str | None, QueryParameter(name="state", pattern="^(open|resolved)$")] = None,
        kind: FromQuery[Kind | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[IncidentRead]:
        query = select(Incident).where(Incident.tenant_id == current_tenant_id)
        if state_filter is not None:
            query = query.where(Incident.state == state_filter)
        if kind is not None:
            query = query.where(Incident.kind == kind)
        if account_id is not None:
            query = query.where(Incident.account_id == account_id)
        if (before := after_id(cursor)) is not None:
            query = query.where(Incident.id < before)
        rows = list((await db_session.execute(query.order_by(Incident.id.desc()).limit(limit + 1))).scalars())
        items = [await incident_read(db_session, row, clock) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor([str(rows[limit - 1].id)]) if more else None)

    @get(
        "/{incident_id:uuid}",
        operation_id="getIncident",
        summary="An incident with its timeline",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        incident_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> IncidentRead:
        return await incident_read(
            db_session, await service.get_incident(db_session, current_tenant_id, incident_id), clock
        )

    @post(
        "/{incident_id:uuid}/entries",
        operation_id="addIncidentEntry",
        summary="Add to the timeline: something done, or someone told",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def add_entry(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[EntryCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[IncidentRead]:
        incident = await service.get_incident(db_session, current_tenant_id, incident_id, lock=True)
        await service.add_entry(db_session, incident, clock, principal, data)
        return Response(await incident_read(db_session, incident, clock), status_code=201)

    @post(
        "/{incident_id:uuid}/resolve",
        operation_id="resolveIncident",
        summary="Close the incident with its outcome",
        guards=[requires("accounts:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def resolve(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[Resolve],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> IncidentRead:
        """A suspended account stays suspended until someone resumes it (`resumeAccount`)."""
        incident = await service.get_incident(db_session, current_tenant_id, incident_id, lock=True)
        await service.resolve(db_session, incident, clock, data.resolution)
        return await incident_read(db_session, incident, clock)
