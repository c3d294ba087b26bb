"""/v1/tenants/{tenant_id}/users (administration) and /v1/me (the caller)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity.models import User
from service.kit.access import Access, requires, users_only
from service.kit.auth import Principal, client_ip
from service.kit.clock import Clock
from service.kit.errors import not_found, unauthorized_problem
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
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission
from service.users import service
from service.users.repository import UsersRepository
from service.users.schemas import Me, PasswordChange, UserCreate, UserRead, UserUpdate, UserWithPassword


def user_read(user: User) -> UserRead:
    return msgspec.convert(user, UserRead, from_attributes=True)


async def _user(users: UsersRepository, user_id: uuid.UUID) -> User:
    user = await users.get(user_id, for_update=True)
    if user is None:
        raise not_found("user")
    return user


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
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[UserCreate],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UserWithPassword]:
        """The user must change the temporary password at their first login. A contractor holds no
        other role; a unit head needs a unit."""
        await service.refresh_powers(db_session, access)
        await access.require(Permission.USERS_WRITE)

        async def run() -> Response[UserWithPassword]:
            users = UsersRepository(db_session, current_tenant_id)
            user, password = await service.create_user(users, state.passwords, clock, data)
            body = UserWithPassword(user=user_read(user), temporary_password=password)
            return Response(body, status_code=201, headers={"ETag": etag(user.version), "Cache-Control": "no-store"})

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/",
        operation_id="listUsers",
        summary="List users",
        guards=[requires(Permission.USERS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        role: Annotated[str | None, Parameter(description="Only users holding this role.", max_length=40)] = None,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="Only users of this unit.")] = None,
        disabled: Annotated[bool | None, Parameter(description="true: only disabled; false: only active.")] = None,
    ) -> Page[UserRead]:
        users = UsersRepository(db_session, current_tenant_id)
        query = users.select()
        if role is not None:
            query = query.where(User.roles.contains([role]))
        if unit_id is not None:
            query = query.where(User.unit_id == unit_id)
        if disabled is not None:
            query = query.where(User.disabled_at.is_not(None) if disabled else User.disabled_at.is_(None))
        rows, more = await users.page(query, after_id(cursor), limit)
        return id_page(rows, more, user_read)

    @get(
        "/{user_id:uuid}",
        operation_id="getUser",
        summary="Read a user",
        guards=[requires(Permission.USERS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[UserRead]:
        user = await UsersRepository(db_session, current_tenant_id).get(user_id)
        if user is None:
            raise not_found("user")
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
        current_tenant_id: NamedDependency[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserUpdate],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
        if_match: IfMatch = None,
    ) -> Response[UserRead]:
        await service.refresh_powers(db_session, access)
        await access.require(Permission.USERS_WRITE)
        users = UsersRepository(db_session, current_tenant_id)
        user = await _user(users, user_id)
        require_if_match(request, user.version)
        await service.update_user(users, clock, user, data)
        return Response(user_read(user), headers={"ETag": etag(user.version)})

    @post(
        "/{user_id:uuid}/disable",
        operation_id="disableUser",
        summary="Disable a user: no more logins, every session ends at once",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def disable(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
    ) -> UserRead:
        """Access tokens already issued expire within ACCESS_TOKEN_TTL_SECONDS (5–15 minutes). Where
        the tenant's rules ask for it, the accounts this user managed or operated are flagged for a
        new manager and a new password."""
        await service.refresh_powers(db_session, access)
        await access.require(Permission.USERS_WRITE)
        users = UsersRepository(db_session, current_tenant_id)
        user = await _user(users, user_id)
        return user_read(await service.disable_user(users, clock, user, access.principal))

    @post(
        "/{user_id:uuid}/enable",
        operation_id="enableUser",
        summary="Enable a disabled user",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def enable(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
    ) -> UserRead:
        await service.refresh_powers(db_session, access)
        await access.require(Permission.USERS_WRITE)
        users = UsersRepository(db_session, current_tenant_id)
        return user_read(await service.enable_user(users, clock, await _user(users, user_id)))

    @post(
        "/{user_id:uuid}/reset-password",
        operation_id="resetUserPassword",
        summary="Reset a user's password; the temporary password is shown once",
        guards=[requires(Permission.USERS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def reset_password(
        self,
        state: State,
        current_tenant_id: NamedDependency[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
    ) -> Response[UserWithPassword]:
        """The user's sessions end, and they must choose a new password at their next login."""
        await service.refresh_powers(db_session, access)
        await access.require(Permission.USERS_WRITE)
        users = UsersRepository(db_session, current_tenant_id)
        user = await _user(users, user_id)
        password = await service.reset_password(users, state.passwords, clock, user)
        body = UserWithPassword(user=user_read(user), temporary_password=password)
        return Response(body, headers={"Cache-Control": "no-store"})


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
        user = None
        if principal.kind == "user":
            row = (
                await platform_or_tenant_session.execute(select(User).where(User.id == principal.id))
            ).scalar_one_or_none()
            user = user_read(row) if row else None
        return Me(
            kind=principal.kind,
            id=principal.id,
            label=principal.label,
            tenant_id=principal.tenant_id,
            roles=sorted(principal.roles),
            permissions=sorted(principal.permissions),
            user=user,
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
        session = platform_or_tenant_session
        user = (
            await session.execute(select(User).where(User.id == principal.id).with_for_update())
        ).scalar_one_or_none()
        if user is None or user.disabled_at is not None:
            raise unauthorized_problem("detail.unauthorized-invalid")
        await service.change_own_password(
            session,
            user,
            state.passwords,
            state.identity.throttle,
            clock,
            current=data.current_password,
            new=data.new_password,
            keep_session=principal.session_id,
            ip=client_ip(request),
        )
