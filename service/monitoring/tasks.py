"""Monitoring's and inactivity's handlers (in `service`), and who hears of them: the role the
tenant makes responsible for monitoring; the general administrators for an inactive account."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import ACCOUNT_OPENED, POST_RECORDED
from service.accounts.models import Account, AccountOperator
from service.events.models import Event
from service.guidelines import service as guidelines
from service.identity.models import User
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.monitoring import service
from service.monitoring.models import MonitoringDeadline
from service.notifications.service import everyone, general_administrators, unit_heads
from service.tenants.models import Unit


async def responsible(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    account = (
        await session.execute(
            select(Account).where(Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id)))
        )
    ).scalar_one_or_none()
    if account is None:
        return admins
    _, config = await guidelines.in_force_on(session, account.tenant_id, event.occurred_at.date())
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


async def administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the unit that runs the account."""
    unit_id = await session.scalar(
        select(Account.unit_id).where(
            Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id))
        )
    )
    return everyone(await general_administrators(session, event), await unit_heads(session, event.tenant_id, [unit_id]))


EVENTS = {
    "monitoring.due": ("モニタリングの時期が来た", "An account is due to be monitored"),
    "review.due": (
        "アカウントの定期的な見直し（目標の検証・セキュリティ設定の確認）の時期が来た",
        "An account is due for its periodic review (targets, or security settings)",
    ),
    "account.inactive": ("アカウントの更新が長く止まっている", "An account has not posted for longer than allowed"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.subscribe(ACCOUNT_OPENED, service.account_opened)
    registry.subscribe(POST_RECORDED, service.post_recorded)
    registry.hear(["monitoring.due"], responsible)
    registry.hear(["review.due"], administrators_and_unit_heads)
    registry.deadline_kinds(
        MonitoringDeadline,
        {
            MonitoringDeadline.MONITORING: service.monitoring_due,
            MonitoringDeadline.INACTIVITY: service.inactivity_check,
            MonitoringDeadline.PERIODIC_REVIEW: service.review_due,
            MonitoringDeadline.SETTINGS_REVIEW: service.review_due,
        },
    )
