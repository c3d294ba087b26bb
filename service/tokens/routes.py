"""/v1/tenants/{tenant_id}/api-tokens: tokens for an agency's own systems."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, IdempotencyKey, Limit, Page, after_id, id_page, problems
from service.kit.idempotency import API_TOKEN_SECRET, NO_STORE, idempotent
from service.kit.permissions import Permission
from service.tokens import service
from service.tokens.models import ApiToken
from service.tokens.schemas import ApiTokenCreate, ApiTokenIssued, ApiTokenRead
from service.users.service import refresh_powers


def token_read(token: ApiToken) -> ApiTokenRead:
    return msgspec.convert(token, ApiTokenRead, from_attributes=True)


class ApiTokenController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/api-tokens"
    tags = ["API tokens"]

    @post(
        "/",
        operation_id="createApiToken",
        summary="Issue a token for an agency system; the secret is shown once",
        guards=[requires(Permission.TOKENS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[ApiTokenCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApiTokenIssued]:
        """Scopes are permission names. A token can hold none its creator lacks (checked against the
        creator's roles as they are now) and none reserved to people (users, tokens)."""
        await refresh_powers(ctx.session, ctx.access)
        await ctx.access.require(Permission.TOKENS_WRITE)
        service.check_scopes(ctx, list(data.scopes))

        async def run() -> Response[ApiTokenIssued]:
            token, secret = await service.issue_tenant_token(ctx, data)
            return Response(
                ApiTokenIssued(token=token_read(token), secret=secret),
                status_code=201,
                headers={"Cache-Control": NO_STORE},
            )

        return await idempotent(
            request, ctx.session, idempotency_key, ctx.tenant_id, run, carries_secret=API_TOKEN_SECRET
        )

    @get(
        "/",
        operation_id="listApiTokens",
        summary="List the tenant's API tokens (never their secrets)",
        guards=[requires(Permission.TOKENS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ApiTokenRead]:
        rows, more = await service.list_tenant_tokens(ctx, after_id(cursor), limit)
        return id_page(rows, more, token_read)

    @get(
        "/{token_id:uuid}",
        operation_id="getApiToken",
        summary="Read an API token (never its secret)",
        guards=[requires(Permission.TOKENS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(self, ctx: NamedDependency[Ctx], token_id: FromPath[uuid.UUID]) -> ApiTokenRead:
        return token_read(await service.get_tenant_token(ctx, token_id))

    @delete(
        "/{token_id:uuid}",
        operation_id="revokeApiToken",
        summary="Revoke an API token at once (repeating it is harmless)",
        guards=[requires(Permission.TOKENS_WRITE)],
        responses=problems(401, 403, 404),
    )
    async def revoke(self, ctx: NamedDependency[Ctx], token_id: FromPath[uuid.UUID]) -> None:
        await service.revoke_tenant_token(ctx, token_id)
