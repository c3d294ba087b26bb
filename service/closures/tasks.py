"""What closures hand to the workers: the deadline handlers (in `service`), and who hears of them.

An announcement that falls due goes to the people who run the account (its manager and
operators) and the general administrators; steps still unconfirmed at the end, to the general
administrators and the unit's heads, who confirm or chase them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account, AccountOperator
from service.closures import service
from service.closures.models import ClosureDeadline
from service.events.models import Event
from service.identity.models import User
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators
from service.tenants.models import Unit


async def _account(session: AsyncSession, event: Event) -> Account | None:
    account_id = event.data.get("account_id")
    if not account_id:
        return None
    return (
        await session.execute(
            select(Account).where(Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(account_id)))
        )
    ).scalar_one_or_none()


async def _active(session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> list[User]:
    if not ids:
        return []
    rows = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.id.in_(ids), User.disabled_at.is_(None)).order_by(User.id)
    )
    return list(rows.scalars())


async def account_people(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    operators = set((await session.execute(select(AccountOperator.user_id).where(
        AccountOperator.account_id == account.id))).scalars())  # fmt: skip
    people = operators | ({account.operations_manager_id} if account.operations_manager_id else set())
    return everyone(await _active(session, event.tenant_id, people), admins)


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
    "closure.announced": ("アカウントの廃止が周知された", "An account's closure was announced"),
    "closure.withdrawn": ("アカウントの廃止が取り下げられた", "An account's closure was withdrawn"),
    "closure.completed": ("アカウントの廃止が完了した", "An account's closure was completed"),
    "closure.announcement_due": ("廃止の周知日が来た", "An announcement of an account's closure is due"),
    "closure.steps_outstanding": (
        "終了日を過ぎても廃止の手続きが確認されていない",
        "An account's last day passed with closure steps unconfirmed",
    ),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.hear(["closure.announcement_due"], account_people)
    registry.hear(["closure.steps_outstanding"], unit_heads_and_administrators)
    registry.deadline_kinds(
        ClosureDeadline,
        {
            ClosureDeadline.ANNOUNCEMENT: service.announcement_due,
            ClosureDeadline.END: service.end_reached,
            ClosureDeadline.RECHECK: service.recheck,
            ClosureDeadline.PURGE: service.purge,
        },
    )
