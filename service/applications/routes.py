"""/v1/tenants/{tenant_id}/applications: new accounts, changes and closures, and their decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account, Application
from service.accounts.schemas import Reason
from service.applications import service
from service.applications.schemas import ApplicationCreate, ApplicationKind, ApplicationRead, ApplicationState
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import DEFAULT_LIMIT, Cursor, IdempotencyKey, Limit, Page, after_id, id_page, problems
from service.kit.idempotency import idempotent


def _read(application: Application) -> ApplicationRead:
    return msgspec.convert(application, ApplicationRead, from_attributes=True)


class ApplicationController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/applications"
    tags = ["Applications"]

    @post(
        "/",
        operation_id="createApplication",
        summary="Draft an application (new account, change, or closure)",
        guards=[requires("applications:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[ApplicationCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApplicationRead]:
        """The form's fields are those of the application form (別紙様式). An account has at most
        one application in progress; a second is a 409."""

        async def run() -> Response[ApplicationRead]:
            application = await service.create_application(db_session, current_tenant_id, clock, principal, data)
            return Response(_read(application), status_code=201)

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/",
        operation_id="listApplications",
        summary="Applications, newest first, with filters",
        guards=[requires("applications:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
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
        query = select(Application).where(Application.tenant_id == current_tenant_id)
        if state_filter is not None:
            query = query.where(Application.state == state_filter)
        if kind is not None:
            query = query.where(Application.kind == kind)
        if account_id is not None:
            query = query.where(Application.account_id == account_id)
        if unit_id is not None:
            query = query.where(Application.account_id.in_(select(Account.id).where(Account.unit_id == unit_id)))
        if (before := after_id(cursor)) is not None:
            query = query.where(Application.id < before)
        rows = list((await db_session.execute(query.order_by(Application.id.desc()).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, _read)

    @get(
        "/{application_id:uuid}",
        operation_id="getApplication",
        summary="Read an application",
        guards=[requires("applications:read")],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> ApplicationRead:
        return _read(await service.get_application(db_session, current_tenant_id, application_id, lock=False))

    @post(
        "/{application_id:uuid}/submit",
        operation_id="submitApplication",
        summary="Submit a draft for approval",
        guards=[requires("applications:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def submit(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ApplicationRead:
        application = await service.get_application(db_session, current_tenant_id, application_id)
        return _read(await service.submit(db_session, application, clock, principal))

    @post(
        "/{application_id:uuid}/withdraw",
        operation_id="withdrawApplication",
        summary="Withdraw a draft or submitted application",
        guards=[requires("applications:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def withdraw(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ApplicationRead:
        application = await service.get_application(db_session, current_tenant_id, application_id)
        return _read(await service.withdraw(db_session, application, clock, principal))

    @post(
        "/{application_id:uuid}/approve",
        operation_id="approveApplication",
        summary="Approve a submitted application (a new account opens if every opening rule is met)",
        guards=[requires("applications:decide")],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def approve(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ApplicationRead:
        """For a new account, every unmet opening rule is named in the 409 (`unmet`), each with the
        configuration path it comes from; nothing changes until all are met."""
        application = await service.get_application(db_session, current_tenant_id, application_id)
        return _read(await service.approve(db_session, application, clock, principal))

    @post(
        "/{application_id:uuid}/reject",
        operation_id="rejectApplication",
        summary="Reject a submitted application, with the reason",
        guards=[requires("applications:decide")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def reject(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        application_id: FromPath[uuid.UUID],
        data: JSONBody[Reason],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ApplicationRead:
        application = await service.get_application(db_session, current_tenant_id, application_id)
        return _read(await service.reject(db_session, application, clock, principal, data.reason))
