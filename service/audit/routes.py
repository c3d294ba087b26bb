"""/v1/tenants/{tenant_id}/audit-events (JSON pages, or CSV) and /v1/audit-events (the platform's)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.models import AuditEvent
from service.audit.repository import AuditRepository
from service.audit.schemas import AuditEventRead, AuditFilter
from service.audit.service import record
from service.kit.access import platform_only, requires
from service.kit.db import Database, set_platform, set_tenant
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission

CSV_COLUMNS = [
    "occurred_at", "action", "actor_kind", "actor_id", "actor_label",
    "target_kind", "target_id", "changes", "request_id", "client_ip", "id",
]  # fmt: skip
EXPORT_BATCH = 1000


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


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; an auditor's export must not.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


async def _csv_rows(db: Database, tenant_id: uuid.UUID | None, filters: AuditFilter) -> AsyncIterator[bytes]:
    yield "\ufeff".encode()  # a BOM, so spreadsheet software reads the Japanese correctly
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    before: uuid.UUID | None = None
    while True:
        async with db.unit_of_work() as session:
            if tenant_id is None:
                await set_platform(session)
            else:
                await set_tenant(session, tenant_id)
            rows, more = await AuditRepository(session, tenant_id).page(filters, before, EXPORT_BATCH)
        for row in rows:
            writer.writerow(
                [
                    _cell(row.occurred_at.isoformat()),
                    _cell(row.action),
                    _cell(row.actor_kind),
                    _cell(row.actor_id),
                    _cell(row.actor_label),
                    _cell(row.target_kind),
                    _cell(row.target_id),
                    _cell(json.dumps(row.changes, ensure_ascii=False, sort_keys=True)),
                    _cell(row.request_id),
                    _cell(row.client_ip),
                    _cell(row.id),
                ]
            )
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if not more or not rows:
            return
        before = rows[-1].id


def _export(state: State, tenant_id: uuid.UUID | None, filters: AuditFilter) -> Stream:
    stamp = state.clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Stream(
        _csv_rows(state.db, tenant_id, filters),
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
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        filters: NamedDependency[AuditFilter],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditEventRead]:
        rows, more = await AuditRepository(db_session, current_tenant_id).page(filters, after_id(cursor), limit)
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
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        filters: NamedDependency[AuditFilter],
    ) -> Stream:
        """Every event matching the filters; the export itself is recorded in the trail."""
        record(
            db_session,
            "audit.exported",
            target_kind="audit_trail",
            target_id=None,
            tenant_id=current_tenant_id,
            changes={"filters": msgspec.to_builtins(filters)},
        )
        return _export(state, current_tenant_id, filters)


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
        rows, more = await AuditRepository(platform_session, None).page(filters, after_id(cursor), limit)
        return id_page(rows, more, event_read)
