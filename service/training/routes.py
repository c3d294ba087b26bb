"""/v1/tenants/{tenant_id}/acknowledgements and /training-sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service.kit.access import access_of, forbidden, requires
from service.kit.context import Ctx
from service.kit.http import (
    DEFAULT_LIMIT,
    PG_INTEGER_MAX,
    Cursor,
    IdempotencyKey,
    Limit,
    Page,
    after_id,
    cursor_value,
    encode_cursor,
    problems,
)
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission
from service.training import service
from service.training.models import Acknowledgement, TrainingKind, TrainingSession
from service.training.schemas import (
    AcknowledgementCreate,
    AcknowledgementRead,
    TrainingSessionCreate,
    TrainingSessionRead,
)


async def staff_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: the caller is a member of the tenant's staff, a person who can have read the guideline."""
    principal = access_of(connection).principal
    if principal.kind != "user" or not principal.roles & service.ACKNOWLEDGING_ROLES:
        raise forbidden("staff")


def acknowledgement_read(row: Acknowledgement) -> AcknowledgementRead:
    return msgspec.convert(row, AcknowledgementRead, from_attributes=True)


def session_read(row: TrainingSession) -> TrainingSessionRead:
    return msgspec.convert(row, TrainingSessionRead, from_attributes=True)


class AcknowledgementController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/acknowledgements"
    tags = ["Acknowledgements and training"]

    @post(
        "/",
        operation_id="acknowledgeGuideline",
        summary="Acknowledge the guideline: the version in force today, or the one named",
        guards=[requires(Permission.CONFIG_READ), staff_only],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def acknowledge(
        self, ctx: NamedDependency[Ctx], data: JSONBody[AcknowledgementCreate]
    ) -> Response[AcknowledgementRead]:
        """The caller (a member of staff, not a contractor or an agency system) states they have read
        the version. Once per user and version: 201 the first time, 200 with the same record after."""
        row, new = await service.acknowledge(ctx, data)
        return Response(acknowledgement_read(row), status_code=201 if new else 200)

    @get(
        "/",
        operation_id="listAcknowledgements",
        summary="Acknowledgements, newest first",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        version: Annotated[
            Annotated[int, QueryParameter(ge=1, le=PG_INTEGER_MAX)] | None,
            QueryParameter(ge=1, le=PG_INTEGER_MAX, description="Of this guideline version."),
        ] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[AcknowledgementRead]:
        """Records of the tenant's staff (as the other records of `records:read`): readable by staff,
        auditors and agency systems, not by contractors."""
        rows, more = await service.list_acknowledgements(
            ctx, after_id(cursor), limit, version=version, user_id=user_id, unit_id=unit_id
        )
        return Page(
            items=[acknowledgement_read(r) for r in rows],
            next_cursor=encode_cursor([str(rows[-1].id)]) if more and rows else None,
        )


class TrainingSessionController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/training-sessions"
    tags = ["Acknowledgements and training"]

    @post(
        "/",
        operation_id="recordTrainingSession",
        summary="Record a training session held, and who attended",
        guards=[requires(Permission.TRAINING_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[TrainingSessionCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[TrainingSessionRead]:
        """`held_on` is today at the latest (in the tenant's time zone); every attendee is a user of
        the tenant (a 404 names the entry that is not)."""

        async def run() -> Response[TrainingSessionRead]:
            return Response(session_read(await service.record_session(ctx, data)), status_code=201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/",
        operation_id="listTrainingSessions",
        summary="Training sessions, the latest held first",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        since: FromQuery[dt.date | None] = None,
        until: FromQuery[dt.date | None] = None,
        kind: FromQuery[TrainingKind | None] = None,
    ) -> Page[TrainingSessionRead]:
        """Held from `since` to `until` (both included), of one kind if given."""
        after = cursor_value(cursor, lambda v: (dt.date.fromisoformat(v[0]), uuid.UUID(v[1])))
        rows, more = await service.list_sessions(ctx, after, limit, since=since, until=until, kind=kind)
        return Page(
            items=[session_read(r) for r in rows],
            next_cursor=encode_cursor([[rows[-1].held_on.isoformat(), str(rows[-1].id)]]) if more and rows else None,
        )

    @get(
        "/{session_id:uuid}",
        operation_id="getTrainingSession",
        summary="A training session with its attendees",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(self, ctx: NamedDependency[Ctx], session_id: FromPath[uuid.UUID]) -> TrainingSessionRead:
        return session_read(await service.get_session(ctx, session_id))
