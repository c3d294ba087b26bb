"""Every query of API tokens: a tenant's (its agency systems') and the platform's (tenant none)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.errors import not_found
from service.kit.repository import TenantRepository
from service.tokens.models import ApiToken


class TokensRepository(TenantRepository[ApiToken]):
    """A tenant's tokens."""

    model = ApiToken
    resource = "api-token"

    async def listed(self, after: uuid.UUID | None, limit: int) -> tuple[list[ApiToken], bool]:
        """A page of the tenant's tokens in id order (the order they were issued)."""
        return await self.page(self.select(), after, limit)


class PlatformTokensRepository:
    """Platform tokens (no tenant), in the platform session."""

    resource = "api-token"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def select(self) -> Select[ApiToken]:
        return select(ApiToken).where(ApiToken.tenant_id.is_(None))

    async def get(self, token_id: uuid.UUID, *, for_update: bool = False) -> ApiToken | None:
        query = self.select().where(ApiToken.id == token_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_or_404(self, token_id: uuid.UUID, *, lock: bool = False) -> ApiToken:
        token = await self.get(token_id, for_update=lock)
        if token is None:
            raise not_found(self.resource)
        return token

    async def all(self) -> list[ApiToken]:
        return list((await self.session.execute(self.select().order_by(ApiToken.id))).scalars())

    async def revoke_named(self, name: str, now: dt.datetime, revoked_by: str) -> int:
        """Revoke every live platform token of this name at once (one statement)."""
        result = await self.session.execute(
            update(ApiToken)
            .where(ApiToken.name == name, ApiToken.revoked_at.is_(None), ApiToken.tenant_id.is_(None))
            .values(revoked_at=now, revoked_by=revoked_by)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def add(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        return token
