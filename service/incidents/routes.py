"""/v1/tenants/{tenant_id}/incidents: incidents, their timeline, their resolution."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.guidelines import service as guidelines
from service.incidents import service
from service.incidents.models import Incident, IncidentState
from service.incidents.schemas import EntryCreate, EntryRead, IncidentCreate, IncidentRead, Kind, Resolve
from service.kit.access import requires
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems
from service.kit.permissions import Permission


async def incident_read(session: AsyncSession, incident: Incident, clock: Clock) -> IncidentRead:
    entries = await service.entries_of(session, incident)
    _, config = await guidelines.in_force_today(session, incident.tenant_id, clock)
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
        state=incident.state,
        reported_by=incident.reported_by,
        reported_at=incident.reported_at,
        resolved_at=incident.resolved_at,
        resolution=incident.resolution,
        to_notify=service.to_notify(incident, config or {}, entries) if incident.state == "open" else [],  # type: ignore[arg-type]
        to_notify_if_needed=service.advisable(incident, config or {}, entries) if incident.state == "open" else [],  # type: ignore[arg-type]
        procedure=service.procedure(config or {}, incident.kind) is not None,
        actions=(service.procedure(config or {}, incident.kind) or {}).get("actions", []),
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
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def report(
        self,
        ctx: NamedDependency[Ctx],
        data: JSONBody[IncidentCreate],
    ) -> Response[IncidentRead]:
        """The kind must be one the tenant's configuration handles. An impersonation with
        `publish_warning` (by default where the tenant announces impersonation) warns in the
        public register; `to_notify` lists who the rules say must be told."""
        incident = await service.report(ctx, data)
        return Response(await incident_read(ctx.session, incident, ctx.clock), status_code=201)

    @get(
        "/",
        operation_id="listIncidents",
        summary="Incidents, newest first",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[IncidentState | None, QueryParameter(name="state")] = None,
        kind: FromQuery[Kind | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[IncidentRead]:
        rows, more = await service.list_incidents(
            ctx, after_id(cursor), limit, state=state_filter, kind=kind, account_id=account_id
        )
        items = [await incident_read(ctx.session, row, ctx.clock) for row in rows]
        return Page(items=items, next_cursor=encode_cursor([str(rows[-1].id)]) if more else None)

    @get(
        "/{incident_id:uuid}",
        operation_id="getIncident",
        summary="An incident with its timeline",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        incident_id: FromPath[uuid.UUID],
    ) -> IncidentRead:
        return await incident_read(ctx.session, await service.get_incident(ctx, incident_id), ctx.clock)

    @post(
        "/{incident_id:uuid}/entries",
        operation_id="addIncidentEntry",
        summary="Add to the timeline: something done, or someone told",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def add_entry(
        self,
        ctx: NamedDependency[Ctx],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[EntryCreate],
    ) -> Response[IncidentRead]:
        incident = await service.get_incident(ctx, incident_id, lock=True)
        await service.add_entry(ctx, incident, data)
        return Response(await incident_read(ctx.session, incident, ctx.clock), status_code=201)

    @post(
        "/{incident_id:uuid}/resolve",
        operation_id="resolveIncident",
        summary="Close the incident with its outcome",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def resolve(
        self,
        ctx: NamedDependency[Ctx],
        incident_id: FromPath[uuid.UUID],
        data: JSONBody[Resolve],
    ) -> IncidentRead:
        """A suspended account stays suspended until someone resumes it (`resumeAccount`)."""
        incident = await service.get_incident(ctx, incident_id, lock=True)
        await service.resolve(ctx, incident, data.resolution)
        return await incident_read(ctx.session, incident, ctx.clock)
