"""/v1/tenants/{tenant_id}/continuation-declarations: each account's answer, round by round."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, post
from litestar import get as get_route
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
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
        decision=row.decision,  # type: ignore[arg-type]
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
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        due_on: FromQuery[dt.date | None] = None,
        state_filter: Annotated[DeclarationState | None, QueryParameter(name="state")] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[DeclarationRead]:
        query = select(ContinuationDeclaration).where(ContinuationDeclaration.tenant_id == current_tenant_id)
        if due_on is not None:
            query = query.where(ContinuationDeclaration.due_on == due_on)
        if account_id is not None:
            query = query.where(ContinuationDeclaration.account_id == account_id)
        if state_filter == "declared":
            query = query.where(ContinuationDeclaration.decision.is_not(None))
        elif state_filter == "overdue":
            query = query.where(
                ContinuationDeclaration.decision.is_(None), ContinuationDeclaration.overdue_at.is_not(None)
            )
        elif state_filter == "pending":
            query = query.where(
                ContinuationDeclaration.decision.is_(None), ContinuationDeclaration.overdue_at.is_(None)
            )
        if (after := after_id(cursor)) is not None:
            query = query.where(ContinuationDeclaration.id > after)
        rows = list((await db_session.execute(query.order_by(ContinuationDeclaration.id).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, declaration_read)

    @get_route(
        "/{declaration_id:uuid}",
        operation_id="getContinuationDeclaration",
        summary="One account's declaration for one round",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        declaration_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> DeclarationRead:
        return declaration_read(await service.get_declaration(db_session, current_tenant_id, declaration_id))

    @post(
        "/{declaration_id:uuid}/declare",
        operation_id="declareContinuation",
        summary="Declare whether the account continues next fiscal year",
        guards=[requires("accounts:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def declare(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[Declare],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> DeclarationRead:
        """By the roles the configuration names (小山高専: the operations manager or an operator of
        the account), or a general administrator. Late is allowed and clears the overdue flag.
        "discontinue" submits a closure application ending with the fiscal year."""
        declaration = await service.get_declaration(db_session, current_tenant_id, declaration_id, lock=True)
        await service.declare(db_session, declaration, data.decision, data.note, clock, principal)
        return declaration_read(declaration)
