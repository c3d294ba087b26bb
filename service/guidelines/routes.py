"""/v1/tenants/{tenant_id}/guideline: the configuration in force, its versions and their diffs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter, PathParameter, QueryParameter

from service.guidelines import service
from service.guidelines.models import GuidelineVersion
from service.guidelines.schemas import (
    GuidelineDiff,
    GuidelineVersionCreate,
    GuidelineVersionRead,
    GuidelineVersionSummary,
)
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import (
    DEFAULT_LIMIT,
    ETAG_HEADER,
    PG_INTEGER_MAX,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Page,
    cursor_value,
    encode_cursor,
    etag,
    problems,
    require_if_match,
)
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission


def version_read(row: GuidelineVersion) -> GuidelineVersionRead:
    return msgspec.convert(row, GuidelineVersionRead, from_attributes=True)


def _read_response(row: GuidelineVersion) -> Response[GuidelineVersionRead]:
    return Response(version_read(row), headers={"ETag": etag(row.version)})


class GuidelineController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/guideline"
    tags = ["Guideline configuration"]

    @get(
        "/",
        operation_id="getGuidelineInForce",
        summary="The guideline configuration in force today, or on a given date",
        guards=[requires(Permission.CONFIG_READ)],
        responses=problems(401, 403, 404, 422),
        response_headers=ETAG_HEADER,
    )
    async def in_force(
        self,
        ctx: NamedDependency[Ctx],
        on: Annotated[
            dt.date | None,
            Parameter(description="The date to ask about; today in the tenant's time zone if omitted."),
        ] = None,
    ) -> Response[GuidelineVersionRead]:
        """The version whose effective date is the latest not after the date asked about."""
        return _read_response(await service.version_in_force(ctx, on))

    @post(
        "/versions",
        operation_id="createGuidelineVersion",
        summary="Record a new version of the guideline configuration",
        guards=[requires(Permission.CONFIG_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[GuidelineVersionCreate],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[GuidelineVersionRead]:
        """The whole document is validated (JSON Schema, then the cross-field rules); on any violation
        nothing is stored and the 422 lists every one. Send If-Match with the latest version's ETag
        to be sure nobody recorded another version since you read it."""

        async def run() -> Response[GuidelineVersionRead]:
            if if_match is not None:
                require_if_match(request, await service.latest_number(ctx))
            row = await service.create_version(
                ctx, document=data.document, reason=data.reason, effective_from=data.effective_from
            )
            response = _read_response(row)
            response.status_code = 201
            return response

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/versions",
        operation_id="listGuidelineVersions",
        summary="List versions, newest first",
        guards=[requires(Permission.CONFIG_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_versions(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[GuidelineVersionSummary]:
        rows, more = await service.list_versions(ctx, cursor_value(cursor, int), limit)
        return Page(
            items=[msgspec.convert(r, GuidelineVersionSummary, from_attributes=True) for r in rows],
            next_cursor=encode_cursor([rows[-1].version]) if more else None,
        )

    @get(
        "/versions/{version:int}",
        operation_id="getGuidelineVersion",
        summary="Read one version",
        guards=[requires(Permission.CONFIG_READ)],
        responses=problems(401, 403, 404, 422),
        response_headers=ETAG_HEADER,
    )
    async def read_version(
        self,
        ctx: NamedDependency[Ctx],
        version: Annotated[int, PathParameter(ge=1, le=PG_INTEGER_MAX, description="The version number.")],
    ) -> Response[GuidelineVersionRead]:
        return _read_response(await service.get_version(ctx, version))

    @get(
        "/diff",
        operation_id="diffGuidelineVersions",
        summary="What changed between two versions",
        guards=[requires(Permission.CONFIG_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def diff(
        self,
        ctx: NamedDependency[Ctx],
        from_version: Annotated[
            int, QueryParameter(name="from", ge=1, le=PG_INTEGER_MAX, description="The older version.")
        ],
        to_version: Annotated[
            int, QueryParameter(name="to", ge=1, le=PG_INTEGER_MAX, description="The newer version.")
        ],
    ) -> GuidelineDiff:
        before = await service.get_version(ctx, from_version)
        after = await service.get_version(ctx, to_version)
        return GuidelineDiff(
            from_version=from_version,
            to_version=to_version,
            changes=service.diff(before.document, after.document),
        )


@get(
    "/v1/guideline-schema",
    operation_id="getGuidelineSchema",
    summary="The JSON Schema of guideline configurations",
    tags=["Guideline configuration"],
    exclude_from_auth=True,
    security=[],
    cache_control=None,
    media_type="application/schema+json",
    responses=problems(),
)
async def guideline_schema() -> Response[dict[str, Any]]:
    """Draft 2020-12. Every property has a Japanese `description` and an English `x-description-en`,
    so a front end can build its editing form from it."""
    return Response(
        service.guideline_schema(),
        media_type="application/schema+json",
        headers={"Cache-Control": "public, max-age=300"},
    )
