"""/v1/tenants/{tenant_id}/api-tokens: tokens for an agency's own systems."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import Access, requires
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.errors import FieldError, Msg, not_found, validation_failed
from service.kit.http import DEFAULT_LIMIT, Cursor, IdempotencyKey, Limit, Page, after_id, id_page, problems
from service.kit.idempotency import idempotent
from service.kit.permissions import ALL_PERMISSIONS, Permission, Role, permissions_of
from service.tokens import service
from service.tokens.models import ApiToken
from service.tokens.repository import TokensRepository
from service.tokens.schemas import ApiTokenCreate, ApiTokenIssued, ApiTokenRead
from service.users.service import refresh_powers


def token_read(token: ApiToken) -> ApiTokenRead:
    return msgspec.convert(token, ApiTokenRead, from_attributes=True)


def scope_errors(scopes: list[str], creator: Access) -> list[FieldError]:
    """A token holds only what an agency system may hold, and never more than its creator."""
    errors = []
    available = permissions_of(Role.AGENCY_SYSTEM)
    for index, scope in enumerate(scopes):
        pointer = f"/scopes/{index}"
        if scope not in {p.value for p in ALL_PERMISSIONS}:
            errors.append(FieldError(Msg("field.scope-unknown", {"scope": scope}), "unknown_scope", pointer))
        elif scope not in available:
            errors.append(
                FieldError(Msg("token.scope-not-for-systems", {"scope": scope}), "scope_not_available", pointer)
            )
        elif not creator.holds(Permission(scope)):
            errors.append(FieldError(Msg("token.scope-not-held", {"scope": scope}), "scope_not_held", pointer))
    if len(set(scopes)) != len(scopes):
        errors.append(FieldError(Msg("field.unique_items"), "unique_items", "/scopes"))
    return errors


class ApiTokenController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/api-tokens"
    tags = ["API tokens"]

    @post(
        "/",
        operation_id="createApiToken",
        summary="Issue a token for an agency system; the secret is shown once",
        guards=[requires(Permission.TOKENS_WRITE)],
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[ApiTokenCreate],
        db_session: NamedDependency[AsyncSession],
        access: NamedDependency[Access],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ApiTokenIssued]:
        """Scopes are permission names. A token can hold none its creator lacks (checked against the
        creator's roles as they are now) and none reserved to people (users, tokens)."""
        await refresh_powers(db_session, access)
        await access.require(Permission.TOKENS_WRITE)
        if errors := scope_errors(list(data.scopes), access):
            raise validation_failed(errors)

        async def run() -> Response[ApiTokenIssued]:
            token, secret = await service.issue_token(
                db_session,
                clock,
                role=Role.AGENCY_SYSTEM,
                tenant_id=current_tenant_id,
                name=data.name,
                scopes=frozenset(data.scopes),
                expires_at=clock.now() + dt.timedelta(days=data.expires_in_days),
                created_by=access.label,
                created_by_id=access.principal.id,
                description=data.description,
            )
            return Response(
                ApiTokenIssued(token=token_read(token), secret=secret),
                status_code=201,
                headers={"Cache-Control": "no-store"},
            )

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/",
        operation_id="listApiTokens",
        summary="List the tenant's API tokens (never their secrets)",
        guards=[requires(Permission.TOKENS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ApiTokenRead]:
        repo = TokensRepository(db_session, current_tenant_id)
        rows, more = await repo.page(after_id(cursor), limit)
        return id_page(rows, more, token_read)

    @get(
        "/{token_id:uuid}",
        operation_id="getApiToken",
        summary="Read an API token (never its secret)",
        guards=[requires(Permission.TOKENS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        token_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> ApiTokenRead:
        token = await TokensRepository(db_session, current_tenant_id).get(token_id)
        if token is None:
            raise not_found("api-token")
        return token_read(token)

    @delete(
        "/{token_id:uuid}",
        operation_id="revokeApiToken",
        summary="Revoke an API token at once (repeating it is harmless)",
        guards=[requires(Permission.TOKENS_WRITE)],
        responses=problems(401, 403, 404),
    )
    async def revoke(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        token_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> None:
        token = await TokensRepository(db_session, current_tenant_id).get(token_id)
        if token is None:
            raise not_found("api-token")
        if token.revoked_at is None:
            await service.revoke_token(db_session, clock, token, principal.label)
