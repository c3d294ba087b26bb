from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.tokens.models import ApiToken


class TokensRepository:
    """Tokens of one tenant, or platform tokens (tenant None, platform session)."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID | None) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def _scoped(self) -> Select[ApiToken]:
        column = ApiToken.tenant_id
        return select(ApiToken).where(column.is_(None) if self.tenant_id is None else column == self.tenant_id)

    async def get(self, token_id: uuid.UUID) -> ApiToken | None:
        return (await self.session.execute(self._scoped().where(ApiToken.id == token_id))).scalar_one_or_none()

    async def page(self, after: uuid.UUID | None, limit: int) -> tuple[list[ApiToken], bool]:
        query = self._scoped().order_by(ApiToken.id).limit(limit + 1)
        if after is not None:
            query = query.where(ApiToken.id > after)
        rows = list((await self.session.execute(query)).scalars())
        return rows[:limit], len(rows) > limit

    async def all(self) -> list[ApiToken]:
        return list((await self.session.execute(self._scoped().order_by(ApiToken.id))).scalars())

    def add(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        return token
