"""API tokens for agency systems and platform operators: scoped, expiring, revocable."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import Access
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.credentials import display_prefix, hash_secret, new_api_token
from service.kit.errors import FieldError, Msg, conflict, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import ALL_PERMISSIONS, Permission, Role, permissions_of
from service.tokens.models import ApiToken
from service.tokens.repository import PlatformTokensRepository, TokensRepository
from service.tokens.schemas import ApiTokenCreate


async def issue_token(
    session: AsyncSession,
    clock: Clock,
    *,
    role: Role,
    tenant_id: uuid.UUID | None,
    name: str,
    scopes: frozenset[str],
    expires_at: dt.datetime | None,
    created_by: str,
    created_by_id: uuid.UUID | None = None,
    description: str = "",
) -> tuple[ApiToken, str]:
    """A new token (a tenant's, or with `tenant_id` None a platform token) and its secret. The
    secret exists only in the return value."""
    secret = new_api_token()
    token = ApiToken(
        id=uuid7(),
        tenant_id=tenant_id,
        role=role.value,
        name=name,
        description=description,
        token_prefix=display_prefix(secret),
        secret_hash=hash_secret(secret),
        scopes=sorted(scopes),
        created_by=created_by,
        created_by_id=created_by_id,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    if tenant_id is None:
        PlatformTokensRepository(session).add(token)
    else:
        TokensRepository(session, tenant_id).add(token)
    await session.flush()
    return token, secret


async def revoke_token(session: AsyncSession, clock: Clock, *, token: ApiToken, revoked_by: str) -> ApiToken:
    if token.revoked_at is not None:
        raise conflict("conflict.token-revoked")
    token.revoked_at = clock.now()
    token.revoked_by = revoked_by
    await session.flush()
    return token


# ---- a tenant's tokens, for its agency systems (in the tenant of the context) ------------------------------


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


def check_scopes(ctx: Ctx, scopes: list[str]) -> None:
    """The 422 listing every scope the caller may not put in a token."""
    if errors := scope_errors(scopes, ctx.access):
        raise validation_failed(errors)


async def issue_tenant_token(ctx: Ctx, data: ApiTokenCreate) -> tuple[ApiToken, str]:
    """A token for one of the tenant's systems, made by the caller (check_scopes first)."""
    return await issue_token(
        ctx.session,
        ctx.clock,
        role=Role.AGENCY_SYSTEM,
        tenant_id=ctx.tenant_id,
        name=data.name,
        scopes=frozenset(data.scopes),
        expires_at=ctx.now() + dt.timedelta(days=data.expires_in_days),
        created_by=ctx.access.label,
        created_by_id=ctx.principal.id,
        description=data.description,
    )


async def get_tenant_token(ctx: Ctx, token_id: uuid.UUID) -> ApiToken:
    return await TokensRepository(ctx.session, ctx.tenant_id).get_or_404(token_id)


async def list_tenant_tokens(ctx: Ctx, after: uuid.UUID | None, limit: int) -> tuple[list[ApiToken], bool]:
    return await TokensRepository(ctx.session, ctx.tenant_id).listed(after, limit)


async def revoke_tenant_token(ctx: Ctx, token_id: uuid.UUID) -> None:
    """Revoke at once; a token revoked already stays as it is (repeating it is harmless)."""
    token = await get_tenant_token(ctx, token_id)
    if token.revoked_at is None:
        await revoke_token(ctx.session, ctx.clock, token=token, revoked_by=ctx.access.label)


# ---- platform tokens (the platform session) --------------------------------------------------------------


async def platform_tokens(session: AsyncSession) -> list[ApiToken]:
    return await PlatformTokensRepository(session).all()


async def revoke_platform_token(
    session: AsyncSession, clock: Clock, *, token_id: uuid.UUID, revoked_by: str
) -> ApiToken | None:
    """The token revoked (None: no such platform token); one revoked already is a conflict."""
    token = await PlatformTokensRepository(session).get(token_id)
    if token is None:
        return None
    return await revoke_token(session, clock, token=token, revoked_by=revoked_by)


async def revoke_platform_tokens_named(session: AsyncSession, clock: Clock, *, name: str, revoked_by: str) -> int:
    """Revoke every live platform token of this name (the development token `koshiki run` replaces)."""
    return await PlatformTokensRepository(session).revoke_named(name, clock.now(), revoked_by)
