"""/v1/tenants/{tenant_id}/continuation-declarations: each account's answer, round by round."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, post
from litestar import get as get_route
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission
from service.renewals import service
from service.renewals.models import ContinuationDeclaration
from service.renewals.schemas import DeclarationRead, DeclarationState, Declare


def declaration_read(row: ContinuationDeclaration) -> DeclarationRead:
    state = "declared" if row.decision else "overdue" if row.overdue_at else "pending"
    return DeclarationRead(
        id=row.id,
        account_id=row.account_id,
        due_on=row.due_on,
        state=state,  # type: ignore[arg-type]
        decision=row.decision,
        declared_at=row.declared_at,
        declared_by=row.declared_by,
        note=row.note,
        application_id=row.application_id,
        overdue_at=row.overdue_at,
        version=row.version,
    )


class DeclarationController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/continuation-declarations"
    tags = ["Renewals"]

    @get_route(
        "/",
        operation_id="listContinuationDeclarations",
        summary="Each account's continuation declaration, round by round, with filters",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        due_on: FromQuery[dt.date | None] = None,
        state_filter: Annotated[DeclarationState | None, QueryParameter(name="state")] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[DeclarationRead]:
        rows, more = await service.list_declarations(
            ctx, after_id(cursor), limit, due_on=due_on, account_id=account_id, state=state_filter
        )
        return id_page(rows, more, declaration_read)

    @get_route(
        "/{declaration_id:uuid}",
        operation_id="getContinuationDeclaration",
        summary="One account's declaration for one round",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        declaration_id: FromPath[uuid.UUID],
    ) -> DeclarationRead:
        return declaration_read(await service.get_declaration(ctx, declaration_id))

    @post(
        "/{declaration_id:uuid}/declare",
        operation_id="declareContinuation",
        summary="Declare whether the account continues next fiscal year",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def declare(
        self,
        ctx: NamedDependency[Ctx],
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[Declare],
    ) -> DeclarationRead:
        """By the roles the configuration names (小山高専: the operations manager or an operator of
        the account), or a general administrator. Late is allowed and clears the overdue flag.
        "discontinue" submits a closure application ending with the fiscal year."""
        declaration = await service.get_declaration(ctx, declaration_id, lock=True)
        await service.declare(ctx, declaration, data.decision, data.note)
        return declaration_read(declaration)
