"""/v1/tenants/{tenant_id}/closures: the grace period of closing accounts; and closing at once."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.closures import service
from service.closures.models import Closure, ClosureState
from service.closures.schemas import (
    AnnouncementCreate,
    AnnouncementRead,
    ClosureRead,
    ClosureReason,
    ClosureStep,
)
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems
from service.kit.permissions import Permission


async def closure_read(session: AsyncSession, closure: Closure) -> ClosureRead:
    announcements = await service.announcements_of(session, closure)
    return ClosureRead(
        id=closure.id,
        tenant_id=closure.tenant_id,
        account_id=closure.account_id,
        application_id=closure.application_id,
        kind=closure.kind,
        state=closure.state,
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
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[ClosureState | None, QueryParameter(name="state")] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[ClosureRead]:
        rows, more = await service.list_closures(
            ctx, after_id(cursor), limit, state=state_filter, account_id=account_id
        )
        items = [await closure_read(ctx.session, c) for c in rows]
        return Page(items=items, next_cursor=encode_cursor([str(rows[-1].id)]) if more else None)

    @get(
        "/{closure_id:uuid}",
        operation_id="getClosure",
        summary="A closure: its end date, steps, announcements",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        closure_id: FromPath[uuid.UUID],
    ) -> ClosureRead:
        return await closure_read(ctx.session, await service.get_closure(ctx, closure_id))

    @post(
        "/{closure_id:uuid}/announcements",
        operation_id="recordClosureAnnouncement",
        summary="Record an announcement of the stop, as made",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def announce(
        self,
        ctx: NamedDependency[Ctx],
        closure_id: FromPath[uuid.UUID],
        data: JSONBody[AnnouncementCreate],
    ) -> Response[ClosureRead]:
        """`days_before` names the announcement point it fulfils; once every point has one, the
        "announce the stop" step counts as confirmed."""
        closure = await service.get_closure(ctx, closure_id, lock=True)
        await service.record_announcement(
            ctx,
            closure,
            channel=data.channel,
            days_before=data.days_before,
            url=data.url,
            note=data.note,
            made_on=data.made_on,
        )
        return Response(await closure_read(ctx.session, closure), status_code=201)

    @post(
        "/{closure_id:uuid}/steps/{step:str}/confirm",
        operation_id="confirmClosureStep",
        summary="Confirm a closure step of the tenant's configuration (e.g. posts deleted)",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def confirm(
        self,
        ctx: NamedDependency[Ctx],
        closure_id: FromPath[uuid.UUID],
        step: FromPath[str],
    ) -> ClosureRead:
        """`unit_head_confirms_deletion` is for the head of the account's unit (or a general
        administrator). Confirming the last step of a closure past its end completes it."""
        closure = await service.get_closure(ctx, closure_id, lock=True)
        await service.confirm_step(ctx, closure, step)
        return await closure_read(ctx.session, closure)

    @post(
        "/{closure_id:uuid}/withdraw",
        operation_id="withdrawClosure",
        summary="Withdraw a closure before it completes (every pending deadline of it is cancelled)",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def withdraw(
        self,
        ctx: NamedDependency[Ctx],
        closure_id: FromPath[uuid.UUID],
        data: JSONBody[ClosureReason],
    ) -> ClosureRead:
        closure = await service.get_closure(ctx, closure_id, lock=True)
        await service.withdraw(ctx, closure, data.reason)
        return await closure_read(ctx.session, closure)


class ImmediateClosureController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/close-now"
    tags = ["Closures"]

    @post(
        "/",
        operation_id="closeAccountNow",
        summary="Close an account at once, on a serious threat (with the reason)",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def close_now(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[ClosureReason],
    ) -> Response[ClosureRead]:
        """A general administrator may always; the roles the configuration names
        (`closure.immediate.by`) where it allows immediate closure. No announcement, no steps:
        the account is formerly official from today."""
        account = await accounts.get(ctx, account_id, lock=True)
        closure = await service.close_now(ctx, account, data.reason)
        return Response(await closure_read(ctx.session, closure), status_code=201)
