"""The rotation reminder's handler (in `service`), and who hears of passwords and staff moves."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import ACCOUNT_OPENED
from service.accounts.models import Account, AccountOperator
from service.events.models import Event
from service.identity.models import User
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators
from service.security import service
from service.security.models import SecurityDeadline
from service.tenants.models import Unit
from service.users.hooks import USER_LEFT


async def _account(session: AsyncSession, event: Event) -> Account | None:
    return (
        await session.execute(
            select(Account).where(Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id)))
        )
    ).scalar_one_or_none()


async def account_people(session: AsyncSession, event: Event) -> list[User]:
    account = await _account(session, event)
    if account is None:
        return await general_administrators(session, event)
    people = set(
        (
            await session.execute(select(AccountOperator.user_id).where(AccountOperator.account_id == account.id))
        ).scalars()
    )
    if account.operations_manager_id:
        people.add(account.operations_manager_id)
    rows = await session.execute(
        select(User).where(User.tenant_id == account.tenant_id, User.id.in_(people), User.disabled_at.is_(None))
    )
    return list(rows.scalars()) or await general_administrators(session, event)


async def unit_heads_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    parent = await session.scalar(select(Unit.parent_id).where(Unit.id == account.unit_id))
    heads = await session.execute(
        select(User).where(
            User.tenant_id == event.tenant_id,
            User.disabled_at.is_(None),
            User.roles.contains([Role.UNIT_HEAD.value]),
            User.unit_id.in_([u for u in (account.unit_id, parent) if u is not None]),
        )
    )
    return everyone(admins, list(heads.scalars()))


EVENTS = {
    "password.rotation_due": ("SNSアカウントのパスワード変更の時期が来た", "An account's password is due for a change"),
    "account.staff_moved": (
        "アカウントの管理者・担当者が異動した（管理者とパスワードの変更が必要）",
        "A manager or operator of an account left (a new manager and password are needed)",
    ),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.subscribe(ACCOUNT_OPENED, service.account_opened)
    registry.subscribe(USER_LEFT, service.staff_left)
    registry.hear(["password.rotation_due"], account_people)
    registry.hear(["account.staff_moved"], unit_heads_and_administrators)
    registry.deadline_kinds(
        SecurityDeadline,
        {
            SecurityDeadline.ROTATION: service.rotation_due,
        },
    )
