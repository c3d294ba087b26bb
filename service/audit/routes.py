"""/v1/tenants/{tenant_id}/audit-events (JSON pages, or CSV) and /v1/audit-events (the platform's)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit import service
from service.audit.models import AuditEvent
from service.audit.schemas import AuditEventRead, AuditFilter
from service.kit.access import platform_only, requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission


def provide_filter(
    actor_id: Annotated[uuid.UUID | None, Parameter(description="Only this actor's events.")] = None,
    actor_kind: Annotated[
        str | None, Parameter(description="user, api_token or system.", pattern="^(user|api_token|system)$")
    ] = None,
    action: Annotated[
        str | None,
        Parameter(
            description="An action (`unit.updated`), or all of a kind with a trailing dot (`unit.`).", max_length=100
        ),
    ] = None,
    target_kind: Annotated[str | None, Parameter(description="e.g. unit, user, api_token.", max_length=100)] = None,
    target_id: Annotated[str | None, Parameter(max_length=100)] = None,
    since: Annotated[dt.datetime | None, Parameter(description="From this time (inclusive).")] = None,
    until: Annotated[dt.datetime | None, Parameter(description="Until this time (exclusive).")] = None,
) -> AuditFilter:
    return AuditFilter(actor_id, actor_kind, action, target_kind, target_id, since, until)


def event_read(row: AuditEvent) -> AuditEventRead:
    return msgspec.convert(row, AuditEventRead, from_attributes=True)


def _export(state: State, tenant_id: uuid.UUID | None, filters: AuditFilter) -> Stream:
    stamp = state.clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Stream(
        service.export_rows(state.db, tenant_id, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


class TenantAuditController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/audit-events"
    tags = ["Audit trail"]
    dependencies = {"filters": Provide(provide_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listAuditEvents",
        summary="The tenant's audit trail, newest first",
        guards=[requires(Permission.AUDIT_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        filters: NamedDependency[AuditFilter],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventRead]:
        rows, more = await service.list_events(ctx, filters, after_id(cursor), limit)
        return id_page(rows, more, event_read)

    @get(
        "/export.csv",
        operation_id="exportAuditEvents",
        summary="The tenant's audit trail as CSV (UTF-8 with BOM)",
        guards=[requires(Permission.AUDIT_READ)],
        responses=problems(401, 403, 404, 422),
        media_type="text/csv",
    )
    async def export(
        self,
        state: State,
        ctx: NamedDependency[Ctx],
        filters: NamedDependency[AuditFilter],
    ) -> Stream:
        """Every event matching the filters; the export itself is recorded in the trail."""
        service.record_export(ctx, filters)
        return _export(state, ctx.tenant_id, filters)


class PlatformAuditController(Controller):
    path = "/v1/audit-events"
    tags = ["Audit trail"]
    dependencies = {"filters": Provide(provide_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listPlatformAuditEvents",
        summary="The platform's own audit trail (tenants created, platform tokens), newest first",
        guards=[platform_only, requires(Permission.AUDIT_READ)],
        responses=problems(401, 403, 422),
    )
    async def list_(
        self,
        platform_session: NamedDependency[AsyncSession],
        filters: NamedDependency[AuditFilter],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventRead]:
        rows, more = await service.list_platform_events(platform_session, filters, after_id(cursor), limit)
        return id_page(rows, more, event_read)
