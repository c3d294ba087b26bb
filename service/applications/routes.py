"""/v1/tenants/{tenant_id}/applications: new accounts, changes and closures, and their decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter

from service.accounts.schemas import Reason
from service.applications import service
from service.applications.models import Application, ApplicationKind, ApplicationState
from service.applications.schemas import ApplicationCreate, ApplicationRead
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, IdempotencyKey, Limit, Page, after_id, id_page, problems
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission


def _read(application: Application) -> ApplicationRead:
    return msgspec.convert(application, ApplicationRead, from_attributes=True)


class ApplicationController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/applications"
    tags = ["Applications"]

    @post(
        "/",
        operation_id="createApplication",
        summary="Draft an application (new account, change, or closure)",
        guards=[requires(Permission.APPLICATIONS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[ApplicationCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApplicationRead]:
        """The form's fields are those of the application form (別紙様式). An account has at most
        one application in progress; a second is a 409."""

        async def run() -> Response[ApplicationRead]:
            application = await service.create_application(ctx, data)
            return Response(_read(application), status_code=201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/",
        operation_id="listApplications",
        summary="Applications, newest first, with filters",
        guards=[requires(Permission.APPLICATIONS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[ApplicationState | None, QueryParameter(name="state")] = None,
        kind: FromQuery[ApplicationKind | None] = None,
        account_id: Annotated[uuid.UUID | None, Parameter(description="Only this account's applications.")] = None,
        unit_id: Annotated[
            uuid.UUID | None, QueryParameter(description="Only applications for this unit's accounts.")
        ] = None,
    ) -> Page[ApplicationRead]:
        """Everyone who may read applications sees the tenant's all (as with the register itself);
        who may *act* on one is narrower and checked on each action."""
        rows, more = await service.list_applications(
            ctx, after_id(cursor), limit, state=state_filter, kind=kind, account_id=account_id, unit_id=unit_id
        )
        return id_page(rows, more, _read)

    @get(
        "/{application_id:uuid}",
        operation_id="getApplication",
        summary="Read an application",
        guards=[requires(Permission.APPLICATIONS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationRead:
        return _read(await service.get_application(ctx, application_id, lock=False))

    @post(
        "/{application_id:uuid}/submit",
        operation_id="submitApplication",
        summary="Submit a draft for approval",
        guards=[requires(Permission.APPLICATIONS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def submit(
        self,
        ctx: NamedDependency[Ctx],
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationRead:
        return _read(await service.submit(ctx, await service.get_application(ctx, application_id)))

    @post(
        "/{application_id:uuid}/withdraw",
        operation_id="withdrawApplication",
        summary="Withdraw a draft or submitted application",
        guards=[requires(Permission.APPLICATIONS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def withdraw(
        self,
        ctx: NamedDependency[Ctx],
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationRead:
        return _read(await service.withdraw(ctx, await service.get_application(ctx, application_id)))

    @post(
        "/{application_id:uuid}/approve",
        operation_id="approveApplication",
        summary="Approve a submitted application (a new account opens if every opening rule is met)",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def approve(
        self,
        ctx: NamedDependency[Ctx],
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationRead:
        """For a new account, every unmet opening rule is named in the 409 (`unmet`), each with the
        configuration path it comes from; nothing changes until all are met."""
        return _read(await service.approve(ctx, await service.get_application(ctx, application_id)))

    @post(
        "/{application_id:uuid}/reject",
        operation_id="rejectApplication",
        summary="Reject a submitted application, with the reason",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def reject(
        self,
        ctx: NamedDependency[Ctx],
        application_id: FromPath[uuid.UUID],
        data: JSONBody[Reason],
    ) -> ApplicationRead:
        return _read(await service.reject(ctx, await service.get_application(ctx, application_id), data.reason))
