"""/v1/tenants/{tenant_id}/closures: the grace period of closing accounts; and closing at once."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.closures import service
from service.closures.models import Closure
from service.closures.schemas import (
    AnnouncementCreate,
    AnnouncementRead,
    ClosureRead,
    ClosureReason,
    ClosureState,
    ClosureStep,
)
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems


async def closure_read(session: AsyncSession, closure: Closure) -> ClosureRead:
    announcements = await service.announcements_of(session, closure)
    return ClosureRead(
        id=closure.id,
        tenant_id=closure.tenant_id,
        account_id=closure.account_id,
        application_id=closure.application_id,
        kind=closure.kind,  # type: ignore[arg-type]
        state=closure.state,  # type: ignore[arg-type]
        end_on=closure.end_on,
        reason=closure.reason,
        steps=[msgspec.convert(s, ClosureStep) for s in closure.steps],
        outstanding_steps=closure.outstanding(),
        announcement_days=closure.announcement_days,
        announcements=[msgspec.convert(a, AnnouncementRead, from_attributes=True) for a in announcements],
        escalations=closure.escalations,
        started_by=closure.started_by,
        completed_at=closure.completed_at,
        withdrawn_at=closure.withdrawn_at,
        withdrawal_reason=closure.withdrawal_reason,
        version=closure.version,
        created_at=closure.created_at,
        updated_at=closure.updated_at,
    )


class ClosureController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/closures"
    tags = ["Closures"]

    @get(
        "/",
        operation_id="listClosures",
        summary="Closures, newest first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[ClosureState | None, QueryParameter(name="state")] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[ClosureRead]:
        query = select(Closure).where(Closure.tenant_id == current_tenant_id)
        if state_filter is not None:
            query = query.where(Closure.state == state_filter)
        if account_id is not None:
            query = query.where(Closure.account_id == account_id)
        if (before := after_id(cursor)) is not None:
            query = query.where(Closure.id < before)
        rows = list((await db_session.execute(query.order_by(Closure.id.desc()).limit(limit + 1))).scalars())
        items = [await closure_read(db_session, c) for c in rows[:limit]]
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor([str(rows[limit - 1].id)]) if more else None)

    @get(
        "/{closure_id:uuid}",
        operation_id="getClosure",
        summary="A closure: its end date, steps, announcements",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        closure_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> ClosureRead:
        return await closure_read(db_session, await service.get_closure(db_session, current_tenant_id, closure_id))

    @post(
        "/{closure_id:uuid}/announcements",
        operation_id="recordClosureAnnouncement",
        summary="Record an announcement of the stop, as made",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def announce(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        closure_id: FromPath[uuid.UUID],
        data: JSONBody[AnnouncementCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[ClosureRead]:
        """`days_before` names the announcement point it fulfils; once every point has one, the
        "announce the stop" step counts as confirmed."""
        closure = await service.get_closure(db_session, current_tenant_id, closure_id, lock=True)
        account = await accounts.get_account(db_session, current_tenant_id, closure.account_id)
        await accounts.require_change(db_session, principal, account)
        await service.record_announcement(
            db_session,
            closure,
            clock,
            principal,
            channel=data.channel,
            days_before=data.days_before,
            url=data.url,
            note=data.note,
            made_on=data.made_on,
        )
        return Response(await closure_read(db_session, closure), status_code=201)

    @post(
        "/{closure_id:uuid}/steps/{step:str}/confirm",
        operation_id="confirmClosureStep",
        summary="Confirm a closure step of the tenant's configuration (e.g. posts deleted)",
        guards=[requires("accounts:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def confirm(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        closure_id: FromPath[uuid.UUID],
        step: FromPath[str],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ClosureRead:
        """`unit_head_confirms_deletion` is for the head of the account's unit (or a general
        administrator). Confirming the last step of a closure past its end completes it."""
        closure = await service.get_closure(db_session, current_tenant_id, closure_id, lock=True)
        account = await accounts.get_account(db_session, current_tenant_id, closure.account_id)
        await accounts.require_change(db_session, principal, account)
        await service.confirm_step(db_session, closure, step, clock, principal)
        return await closure_read(db_session, closure)

    @post(
        "/{closure_id:uuid}/withdraw",
        operation_id="withdrawClosure",
        summary="Withdraw a closure before it completes (every pending deadline of it is cancelled)",
        guards=[requires("applications:decide")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def withdraw(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        closure_id: FromPath[uuid.UUID],
        data: JSONBody[ClosureReason],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> ClosureRead:
        closure = await service.get_closure(db_session, current_tenant_id, closure_id, lock=True)
        _, config = await accounts.config_in_force(db_session, current_tenant_id, clock)
        await service.withdraw(db_session, closure, clock, principal, data.reason, config or {})
        return await closure_read(db_session, closure)


class ImmediateClosureController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/close-now"
    tags = ["Closures"]

    @post(
        "/",
        operation_id="closeAccountNow",
        summary="Close an account at once, on a serious threat (with the reason)",
        guards=[requires("applications:decide")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def close_now(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[ClosureReason],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[ClosureRead]:
        """A general administrator may always; the roles the configuration names
        (`closure.immediate.by`) where it allows immediate closure. No announcement, no steps:
        the account is formerly official from today."""
        account = await accounts.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await accounts.require_change(db_session, principal, account)
        _, config = await accounts.config_in_force(db_session, current_tenant_id, clock)
        closure = await service.close_now(db_session, account, clock, principal, data.reason, config or {})
        return Response(await closure_read(db_session, closure), status_code=201)
