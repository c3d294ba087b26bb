"""Monitoring's and inactivity's handlers (in `service`), and who hears of them: the role the
tenant makes responsible for monitoring; the general administrators for an inactive account."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import Account, AccountOperator
from service.events.models import Event
from service.kit.permissions import Role
from service.monitoring import service as _handlers  # noqa: F401 - registers the deadline handlers
from service.notifications.service import everyone, general_administrators, recipients_for, unit_heads
from service.tenants.models import Unit
from service.users.models import User


@recipients_for("monitoring.due")
async def responsible(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    account = (
        await session.execute(
            select(Account).where(Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id)))
        )
    ).scalar_one_or_none()
    if account is None:
        return admins
    _, config = await accounts.config_on(session, account.tenant_id, event.occurred_at.date())
    role = (config or {}).get("monitoring", {}).get("responsible_role")
    people: list[User] = []
    if role == Role.UNIT_HEAD.value:
        parent = await session.scalar(select(Unit.parent_id).where(Unit.id == account.unit_id))
        people = await unit_heads(session, account.tenant_id, [account.unit_id, parent])
    elif role in {Role.OPERATOR.value, Role.OPERATIONS_MANAGER.value}:
        ids = set((await session.execute(select(AccountOperator.user_id).where(
            AccountOperator.account_id == account.id))).scalars())  # fmt: skip
        if account.operations_manager_id:
            ids.add(account.operations_manager_id)
        people = list((await session.execute(select(User).where(
            User.tenant_id == account.tenant_id, User.disabled_at.is_(None), User.id.in_(ids)))).scalars())  # fmt: skip
    return people or admins


@recipients_for("review.due")
async def administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the unit that runs the account."""
    unit_id = await session.scalar(
        select(Account.unit_id).where(
            Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id))
        )
    )
    return everyone(await general_administrators(session, event), await unit_heads(session, event.tenant_id, [unit_id]))
