"""/v1/tenants/{tenant_id}/compliance: the audit's tables and findings (JSON, CSV, a printable page),
and saved runs to compare."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from service.compliance import service
from service.compliance.models import ComplianceSnapshot
from service.compliance.schemas import ComplianceReport, SnapshotComparison, SnapshotCreate, SnapshotRead
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, IdempotencyKey, Limit, Page, after_id, encode_cursor, problems
from service.kit.i18n import Lang, negotiate
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission

AsOf = Annotated[
    dt.date | None,
    QueryParameter(name="as_of", description="The day the report is on (default: today in the tenant's time zone)."),
]
WindowDays = Annotated[
    int,
    QueryParameter(
        name="window_days",
        ge=service.MIN_WINDOW,
        le=service.MAX_WINDOW,
        description="The window the posting frequency and monitoring are judged on, ending on as_of.",
    ),
]


def _lang(request: Request[Any, Any, Any]) -> Lang:
    return negotiate(request.headers.get("accept-language"))


def snapshot_read(row: ComplianceSnapshot) -> SnapshotRead:
    return SnapshotRead(
        id=row.id,
        as_of=row.as_of,
        window_days=row.window_days,
        label=row.label,
        finding_count=row.finding_count,
        created_by=row.created_by,
        created_at=row.created_at,
    )


class ComplianceController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}"
    tags = ["Compliance report"]

    @get(
        "/compliance",
        operation_id="getComplianceReport",
        summary="The audit's tables (004 表1–表18), the legend, and every finding per account and unit",
        guards=[requires(Permission.COMPLIANCE_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def report(
        self, ctx: NamedDependency[Ctx], as_of: AsOf = None, window_days: WindowDays = 90
    ) -> ComplianceReport:
        """Counts and percentages rounded half up to one decimal, as the audit prints them (each cell
        also carries its printed `text`). The legend defines every classification. The same report is
        `compliance.csv` and `compliance.html`."""
        return await service.report(ctx, as_of, window_days)

    @get(
        "/compliance.csv",
        operation_id="getComplianceReportCsv",
        summary="The same report as CSV (UTF-8 with a BOM): the tables, then one line per finding",
        guards=[requires(Permission.COMPLIANCE_READ)],
        media_type="text/csv",
        responses=problems(401, 403, 404, 422),
    )
    async def report_csv(
        self, request: Request[Any, Any, Any], ctx: NamedDependency[Ctx], as_of: AsOf = None,
        window_days: WindowDays = 90,
    ) -> Response[bytes]:  # fmt: skip
        """Headings in Japanese, or English with `Accept-Language: en`."""
        body = service.to_csv(await service.report(ctx, as_of, window_days), _lang(request))
        name = f"compliance-{(as_of or 'today')}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @get(
        "/compliance.html",
        operation_id="getComplianceReportPage",
        summary="The same report as a printable page (A4), its tables numbered and titled as the audit's",
        guards=[requires(Permission.COMPLIANCE_READ)],
        media_type="text/html",
        responses=problems(401, 403, 404, 422),
    )
    async def report_page(
        self, request: Request[Any, Any, Any], ctx: NamedDependency[Ctx], as_of: AsOf = None,
        window_days: WindowDays = 90,
    ) -> Response[str]:  # fmt: skip
        """Japanese; English with `Accept-Language: en`."""
        computed = await service.report(ctx, as_of, window_days)
        page = service.to_html(computed, _lang(request), await service.page_agency(ctx))
        response: Response[str] = Response(page, media_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
        )
        return response

    @post(
        "/compliance/snapshots",
        operation_id="saveComplianceSnapshot",
        summary="Compute the report and save it, to compare with another run later",
        guards=[requires(Permission.COMPLIANCE_READ)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def save(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[SnapshotCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[SnapshotRead]:
        async def run() -> Response[SnapshotRead]:
            return Response(snapshot_read(await service.save_snapshot(ctx, data)), status_code=201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/compliance/snapshots",
        operation_id="listComplianceSnapshots",
        summary="Saved runs, newest first",
        guards=[requires(Permission.COMPLIANCE_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self, ctx: NamedDependency[Ctx], limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Page[SnapshotRead]:
        rows, more = await service.list_snapshots(ctx, after_id(cursor), limit)
        return Page(
            items=[snapshot_read(r) for r in rows], next_cursor=encode_cursor([str(rows[-1].id)]) if more else None
        )

    @get(
        "/compliance/snapshots/compare",
        operation_id="compareComplianceSnapshots",
        summary="Which findings appeared and which were fixed between two saved runs",
        guards=[requires(Permission.COMPLIANCE_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def compare(
        self,
        ctx: NamedDependency[Ctx],
        from_id: Annotated[uuid.UUID, QueryParameter(name="from", description="The earlier snapshot.")],
        to_id: Annotated[uuid.UUID, QueryParameter(name="to", description="The later snapshot.")],
    ) -> SnapshotComparison:
        return await service.compare(ctx, from_id, to_id)

    @get(
        "/compliance/snapshots/{snapshot_id:uuid}",
        operation_id="getComplianceSnapshot",
        summary="A saved run: the report as it was computed",
        guards=[requires(Permission.COMPLIANCE_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(self, ctx: NamedDependency[Ctx], snapshot_id: FromPath[uuid.UUID]) -> ComplianceReport:
        row = await service.get_snapshot(ctx, snapshot_id)
        return msgspec.convert(row.report, ComplianceReport)
