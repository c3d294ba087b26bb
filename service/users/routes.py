"""/v1/tenants/{tenant_id}/users (administration) and /v1/me (the caller)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import User
from service.kit.access import requires, users_only
from service.kit.auth import Principal, client_ip
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.http import (
    DEFAULT_LIMIT,
    ETAG_HEADER,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Page,
    after_id,
    etag,
    id_page,
    problems,
    require_if_match,
)
from service.kit.idempotency import NO_STORE, TEMPORARY_PASSWORD, idempotent
from service.kit.permissions import Permission
from service.users import service
from service.users.schemas import Me, PasswordChange, UserCreate, UserRead, UserUpdate, UserWithPassword


def user_read(user: User) -> UserRead:
    return msgspec.convert(user, UserRead, from_attributes=True)


class UsersController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/users"
    tags = ["Users"]

    @post(
        "/",
        operation_id="createUser",
        summary="Create a user; the temporary password is shown once",
        guards=[requires(Permission.USERS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        state: State,
        ctx: NamedDependency[Ctx],
        data: JSONBody[UserCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UserWithPassword]:
        """The user must change the temporary password at their first login. A contractor holds no
        other role; a unit head needs a unit."""
        await service.refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.USERS_WRITE)

        async def run() -> Response[UserWithPassword]:
            user, password = await service.create_user(ctx, data, passwords=state.passwords)
            body = UserWithPassword(user=user_read(user), temporary_password=password)
            return Response(body, status_code=201, headers={"ETag": etag(user.version), "Cache-Control": NO_STORE})

        return await idempotent(
            request, ctx.session, idempotency_key, ctx.tenant_id, run, carries_secret=TEMPORARY_PASSWORD
        )

    @get(
        "/",
        operation_id="listUsers",
        summary="List users",
        guards=[requires(Permission.USERS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        role: Annotated[str | None, Parameter(description="Only users holding this role.", max_length=40)] = None,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="Only users of this unit.")] = None,
        disabled: Annotated[bool | None, Parameter(description="true: only disabled; false: only active.")] = None,
    ) -> Page[UserRead]:
        rows, more = await service.list_users(
            ctx, after_id(cursor), limit, role=role, unit_id=unit_id, disabled=disabled
        )
        return id_page(rows, more, user_read)

    @get(
        "/{user_id:uuid}",
        operation_id="getUser",
        summary="Read a user",
        guards=[requires(Permission.USERS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(self, ctx: NamedDependency[Ctx], user_id: FromPath[uuid.UUID]) -> Response[UserRead]:
        user = await service.get_user(ctx, user_id)
        return Response(user_read(user), headers={"ETag": etag(user.version)})

    @patch(
        "/{user_id:uuid}",
        operation_id="updateUser",
        summary="Change a user's details, roles or unit (their sessions end if their powers change)",
        guards=[requires(Permission.USERS_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserUpdate],
        if_match: IfMatch = None,
    ) -> Response[UserRead]:
        await service.refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.USERS_WRITE)
        user = await service.get_user(ctx, user_id, lock=True)
        require_if_match(request, user.version)
        await service.update_user(ctx, user, data)
        return Response(user_read(user), headers={"ETag": etag(user.version)})

    @post(
        "/{user_id:uuid}/disable",
        operation_id="disableUser",
        summary="Disable a user: no more logins, every session ends at once",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def disable(self, ctx: NamedDependency[Ctx], user_id: FromPath[uuid.UUID]) -> UserRead:
        """Access tokens already issued expire within ACCESS_TOKEN_TTL_SECONDS (5–15 minutes). Where
        the tenant's rules ask for it, the accounts this user managed or operated are flagged for a
        new manager and a new password."""
        await service.refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.USERS_WRITE)
        user = await service.get_user(ctx, user_id, lock=True)
        return user_read(await service.disable_user(ctx, user))

    @post(
        "/{user_id:uuid}/enable",
        operation_id="enableUser",
        summary="Enable a disabled user",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def enable(self, ctx: NamedDependency[Ctx], user_id: FromPath[uuid.UUID]) -> UserRead:
        await service.refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.USERS_WRITE)
        user = await service.get_user(ctx, user_id, lock=True)
        return user_read(await service.enable_user(ctx, user))

    @post(
        "/{user_id:uuid}/reset-password",
        operation_id="resetUserPassword",
        summary="Reset a user's password; the temporary password is shown once",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def reset_password(
        self, state: State, ctx: NamedDependency[Ctx], user_id: FromPath[uuid.UUID]
    ) -> Response[UserWithPassword]:
        """The user's sessions end, and they must choose a new password at their next login."""
        await service.refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.USERS_WRITE)
        user = await service.get_user(ctx, user_id, lock=True)
        password = await service.reset_password(ctx, user, passwords=state.passwords)
        body = UserWithPassword(user=user_read(user), temporary_password=password)
        return Response(body, headers={"Cache-Control": NO_STORE})


class MeController(Controller):
    path = "/v1/me"
    tags = ["Users"]

    @get(
        "/",
        operation_id="getMe",
        summary="The caller: who they are and what they may do",
        responses=problems(401),
    )
    async def me(
        self, principal: NamedDependency[Principal], platform_or_tenant_session: NamedDependency[AsyncSession]
    ) -> Me:
        row = await service.own_user(platform_or_tenant_session, principal)
        return Me(
            kind=principal.kind,
            id=principal.id,
            label=principal.label,
            tenant_id=principal.tenant_id,
            roles=sorted(principal.roles),
            permissions=sorted(principal.permissions),
            user=user_read(row) if row else None,
        )

    @post(
        "/password",
        operation_id="changeMyPassword",
        summary="Change one's own password (other sessions end)",
        guards=[users_only],
        status_code=204,
        responses=problems(401, 403, 413, 415, 422, 429),
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[PasswordChange],
        principal: NamedDependency[Principal],
        platform_or_tenant_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> None:
        """At least 12 characters; not a common password, not repetitive, not containing the login ID
        or e-mail. The failures of the current password count like failed logins."""
        await service.change_own_password(
            platform_or_tenant_session,
            clock,
            principal=principal,
            passwords=state.passwords,
            throttle=state.identity.throttle,
            current=data.current_password,
            new=data.new_password,
            ip=client_ip(request),
        )
