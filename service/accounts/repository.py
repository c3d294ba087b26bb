"""Every query of the register's tables: accounts, their operators, documents, posts, warnings.

The account list is the hot read: one statement on the driver itself (`Database.fetch`), rows
straight to JSON, measured in bench/register.py; it stays here, beside the ORM queries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account, AccountDocument, AccountOperator, ImpersonationWarning
from service.accounts.schemas import AccountRead
from service.kit.db import Database
from service.kit.repository import TenantRepository

# The columns of AccountRead, in its order, so each row is the JSON of one AccountRead.
_COLUMNS = ", ".join(AccountRead.__struct_fields__)
# One function call sets the tenant and reads the page, so row-level security holds without a transaction.
_PAGE = f"SELECT {_COLUMNS} FROM koshiki_account_page($1, $2, $3, $4, $5, $6, $7, $8)"  # noqa: S608 - our own names
# The same page within some accounts (a contractor's: those their agreement covers).
_WITHIN_PAGE = text(
    f"""
    SELECT {_COLUMNS} FROM accounts a
     WHERE a.tenant_id = :tenant AND a.id = ANY(:within) AND (CAST(:after AS uuid) IS NULL OR a.id > :after)
       AND (CAST(:unit AS uuid) IS NULL OR a.unit_id = :unit) AND (CAST(:platform AS text) IS NULL OR a.platform = :platform)
       AND (CAST(:status AS text) IS NULL OR a.status = :status)
       AND (CAST(:body AS text) IS NULL OR a.operating_body = :body)
       AND (CAST(:attention AS boolean) IS NULL OR a.needs_attention = :attention)
     ORDER BY a.id LIMIT :limit
    """  # noqa: S608 - our own names
)


class AccountsRepository(TenantRepository[Account]):
    model = Account
    resource = "account"

    async def operator_ids(self, account_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.execute(
            select(AccountOperator.user_id).where(
                AccountOperator.tenant_id == self.tenant_id, AccountOperator.account_id == account_id
            )
        )
        return sorted(rows.scalars())

    async def set_operators(self, account: Account, users: list[uuid.UUID], now: dt.datetime) -> None:
        await self.session.execute(delete(AccountOperator).where(AccountOperator.account_id == account.id))
        for user_id in dict.fromkeys(users):
            self.session.add(
                AccountOperator(account_id=account.id, user_id=user_id, tenant_id=account.tenant_id, assigned_at=now)
            )

    async def run_by(self, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
        """The accounts a user manages or operates (an operator's reach)."""
        operated = select(AccountOperator.account_id).where(
            AccountOperator.tenant_id == self.tenant_id, AccountOperator.user_id == user_id
        )
        managed = select(Account.id).where(
            Account.tenant_id == self.tenant_id, Account.operations_manager_id == user_id
        )
        rows = await self.session.execute(operated.union(managed))
        return frozenset(rows.scalars())

    async def live_run_by(self, user_id: uuid.UUID, statuses: frozenset[str]) -> list[Account]:
        """The accounts in one of `statuses` a user manages or operates, locked (a member of staff left)."""
        operated = select(AccountOperator.account_id).where(
            AccountOperator.tenant_id == self.tenant_id, AccountOperator.user_id == user_id
        )
        query = (
            self.select()
            .where(Account.status.in_(statuses))
            .where((Account.operations_manager_id == user_id) | Account.id.in_(operated))
            .with_for_update()
        )
        return list((await self.session.execute(query)).scalars())

    async def people_of(self, statuses: frozenset[str]) -> set[uuid.UUID]:
        """The users who manage or operate an account in one of `statuses`."""
        live = Account.status.in_(statuses)
        managers = select(Account.operations_manager_id).where(
            Account.tenant_id == self.tenant_id, live, Account.operations_manager_id.is_not(None)
        )
        operators = (
            select(AccountOperator.user_id)
            .join(
                Account, (Account.tenant_id == AccountOperator.tenant_id) & (Account.id == AccountOperator.account_id)
            )
            .where(AccountOperator.tenant_id == self.tenant_id, live)
        )
        rows = await self.session.execute(managers.union(operators))
        return {row for row in rows.scalars() if row is not None}

    async def among(self, ids: list[uuid.UUID]) -> list[Account]:
        """Those of these accounts that are the tenant's, in one query."""
        return list((await self.session.execute(self.select().where(Account.id.in_(ids)))).scalars())

    async def live_by_keys(self, keys: list[str], live: frozenset[str]) -> list[Account]:
        """The tenant's accounts in one of `live` holding any of these platform-account keys (an import)."""
        if not keys:
            return []
        query = self.select().where(Account.status.in_(live), Account.account_key.in_(keys) | Account.id_key.in_(keys))
        return list((await self.session.execute(query)).scalars())

    def add_imported(self, account: Account, operators: list[uuid.UUID], documents: list[AccountDocument]) -> None:
        """An account brought in from an existing register, with its operators and documents."""
        self.session.add(account)
        for user_id in dict.fromkeys(operators):
            self.session.add(
                AccountOperator(
                    account_id=account.id, user_id=user_id, tenant_id=account.tenant_id, assigned_at=account.created_at
                )
            )
        self.session.add_all(documents)

    async def purge_people(self, account: Account, marker: str) -> None:
        """Operators go (the posts domain makes its posts forget their people, through PEOPLE_PURGED)."""
        await self.session.execute(delete(AccountOperator).where(AccountOperator.account_id == account.id))

    async def within_page(
        self, within: frozenset[uuid.UUID], after: uuid.UUID | None, limit: int, filters: Mapping[str, Any]
    ) -> list[Mapping[str, Any]]:
        """A page of the accounts among `within` (a confined caller's), as plain rows."""
        result = await self.session.execute(
            _WITHIN_PAGE,
            {"tenant": self.tenant_id, "within": list(within), "after": after, "limit": limit, **filters},
        )
        return [dict(row._mapping) for row in result]


async def account_holder(session: AsyncSession, keys: list[str], except_id: uuid.UUID | None) -> Any | None:
    """The tenant that holds one of these platform-account keys live, in any tenant (a definer
    function: the application role cannot read other tenants' accounts)."""
    return (
        await session.execute(
            text("SELECT * FROM koshiki_account_holder(:keys, :except)"), {"keys": keys, "except": except_id}
        )
    ).one_or_none()


async def account_page(
    db: Database, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int, filters: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The hot read: a page of the tenant's accounts on the driver directly, no transaction opened."""
    return await db.fetch(
        _PAGE, tenant_id, after, limit, filters["unit"], filters["platform"], filters["status"], filters["body"],
        filters["attention"],
    )  # fmt: skip


class DocumentsRepository(TenantRepository[AccountDocument]):
    model = AccountDocument
    resource = "document"

    async def of_account(self, account_id: uuid.UUID) -> dict[str, AccountDocument]:
        rows = (await self.session.execute(self.select().where(AccountDocument.account_id == account_id))).scalars()
        return {d.kind: d for d in rows}


class WarningsRepository(TenantRepository[ImpersonationWarning]):
    model = ImpersonationWarning
    resource = "warning"

    async def all(self) -> list[ImpersonationWarning]:
        return list((await self.session.execute(self.select().order_by(ImpersonationWarning.id))).scalars())
