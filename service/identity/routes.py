"""/v1/auth/… (login, refresh, logout) and /.well-known/jwks.json."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from service.identity import service
from service.identity.service import Identity, IssuedSession
from service.kit.access import users_only
from service.kit.auth import Principal, client_ip
from service.kit.clock import Clock
from service.kit.http import problems

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, Meta(min_length=1, max_length=254, description="Login ID or e-mail.", examples=["koho-taro"])]
    password: Annotated[str, Meta(min_length=1, max_length=1024)]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: Annotated[int, Meta(description="Seconds the access token is valid for.")]
    refresh_token: Annotated[str, Meta(description="Single use: each refresh returns the next one.")]
    refresh_expires_in: int
    password_change_required: Annotated[
        bool, Meta(description="True after an administrator's reset: change it (POST /v1/me/password) first.")
    ]
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret


def _tokens(issued: IssuedSession) -> Response[TokenResponse]:
    body = TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
        password_change_required=issued.password_change_required,
    )
    return Response(body, headers=NO_STORE)


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["Authentication"]

    @post(
        "/login",
        operation_id="login",
        summary="Log in with login ID or e-mail and password",
        exclude_from_auth=True,
        security=[],
        status_code=200,
        responses=problems(401, 403, 413, 415, 422, 429),
    )
    async def login(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[LoginRequest]
    ) -> Response[TokenResponse]:
        """A wrong password and an unknown login answer the same 401. Failed attempts are counted per
        account name and per address; past the limit, 429 with Retry-After."""
        identity: Identity = state.identity
        return _tokens(await identity.login(data.login, data.password, client_ip(request)))

    @post(
        "/refresh",
        operation_id="refreshSession",
        summary="Exchange a refresh token for new tokens",
        exclude_from_auth=True,
        security=[],
        status_code=200,
        responses=problems(401, 413, 415, 422),
    )
    async def refresh(
        self, request: Request[Any, Any, Any], state: State, data: JSONBody[RefreshRequest]
    ) -> Response[TokenResponse]:
        """The refresh token is single use. Presenting a used one again revokes its whole session."""
        identity: Identity = state.identity
        return _tokens(await identity.refresh(data.refresh_token, client_ip(request)))

    @post(
        "/logout",
        operation_id="logout",
        summary="End this session (its refresh tokens stop working at once)",
        guards=[users_only],
        status_code=204,
        responses=problems(401, 403),
    )
    async def logout(
        self,
        principal: NamedDependency[Principal],
        platform_or_tenant_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> None:
        await service.logout(platform_or_tenant_session, clock, principal=principal)

    @post(
        "/logout-all",
        operation_id="logoutEverywhere",
        summary="End every session of the calling user",
        guards=[users_only],
        status_code=204,
        responses=problems(401, 403),
    )
    async def logout_all(
        self,
        principal: NamedDependency[Principal],
        platform_or_tenant_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> None:
        await service.logout_everywhere(platform_or_tenant_session, clock, principal=principal)


@get(
    "/.well-known/jwks.json",
    operation_id="getJwks",
    summary="Public keys that verify access tokens (JWKS)",
    tags=["Authentication"],
    exclude_from_auth=True,
    security=[],
    responses=problems(),
)
async def jwks(state: State) -> Response[dict[str, Any]]:
    """Keys rotated out stay here until every token they signed has expired."""
    return Response(await state.keyring.jwks(), headers={"Cache-Control": "public, max-age=60"})
