"""The base of tenant-owned repositories: the tenant filter is added here, once.

Queries live in repositories (one module per domain, `<domain>/repository.py`); services call
them and routes call services. Every query of a tenant-owned table starts from `select()`, which
adds `tenant_id = …`. Row-level security would hide other tenants' rows anyway; the explicit
filter is the first line of defence and lets the planner use the (tenant_id, …) indexes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Executable, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.db import Base
from service.kit.errors import not_found

M = TypeVar("M", bound=Base)


class TenantRepository(Generic[M]):
    model: ClassVar[type[Any]]
    resource: ClassVar[str]  # the 404's word for it: i18n `resource.<name>`

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self) -> Select[M]:
        return select(self.model).where(self.model.tenant_id == self.tenant_id)

    async def get(self, id_: uuid.UUID, *, for_update: bool = False) -> M | None:
        query = self.select().where(self.model.id == id_)
        if for_update:
            # Locking a row the session already holds reads it afresh: what it was before the lock
            # was granted may have changed under it.
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get_or_404(self, id_: uuid.UUID, *, lock: bool = False, pointer: str | None = None) -> M:
        """The row, or the 404 of its kind (another tenant's id finds nothing, as an unknown one)."""
        row = await self.get(id_, for_update=lock)
        if row is None:
            raise not_found(self.resource, pointer)
        return row

    async def page(
        self, query: Select[M], cursor: uuid.UUID | None, limit: int, *, newest_first: bool = False
    ) -> tuple[list[M], bool]:
        """A page of `query` past the cursor (the last id of the page before) in id order (ids are
        time-ordered; `newest_first` reverses it), and whether more follow."""
        if cursor is not None:
            query = query.where(self.model.id < cursor if newest_first else self.model.id > cursor)
        order = self.model.id.desc() if newest_first else self.model.id
        rows = list((await self.session.execute(query.order_by(order).limit(limit + 1))).scalars())
        return rows[:limit], len(rows) > limit

    def add(self, row: M) -> M:
        self.session.add(row)
        return row


# Rows a set-based insert sends at once (bounded, so a large import never builds one huge statement).
CHUNK = 20_000


async def insert_columns(
    session: AsyncSession,
    statement: Executable,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    params: Mapping[str, Any],
) -> int:
    """Run an `INSERT … SELECT … FROM unnest(:column, …)` statement over `rows` in chunks, each row's
    values bound column by column under `columns`' names besides `params`; how many rows it inserted."""
    added = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        values = dict(zip(columns, (list(column) for column in zip(*chunk, strict=True)), strict=True))
        result = await session.execute(statement, {**params, **values})
        added += result.rowcount  # type: ignore[attr-defined]
    return added
