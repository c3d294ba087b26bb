"""Monitoring's and inactivity's handlers (in `service`), and who hears of them: the role the
tenant makes responsible for monitoring; the general administrators for an inactive account."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import ACCOUNT_OPENED, POST_RECORDED
from service.accounts.models import Account
from service.events.models import Event
from service.guidelines import service as guidelines
from service.identity.models import User
from service.kit.errors import ProblemError
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.monitoring import service
from service.monitoring.models import MonitoringDeadline
from service.notifications.service import active_users, everyone, general_administrators, unit_heads, unit_heads_of


async def _account(session: AsyncSession, event: Event) -> Account | None:
    """The account the event is about (its subject), if it is still there."""
    try:
        return await accounts.get_account(session, event.tenant_id, uuid.UUID(str(event.subject_id)))
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def responsible(session: AsyncSession, event: Event) -> list[User]:
    """Whom the tenant's configuration makes responsible for monitoring (the unit's heads, or the
    account's manager and operators); failing them, the general administrators."""
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    _, config = await guidelines.in_force_on(session, account.tenant_id, event.occurred_at.date())
    role = (config or {}).get("monitoring", {}).get("responsible_role")
    people: list[User] = []
    if role == Role.UNIT_HEAD.value:
        people = await unit_heads_of(session, account.tenant_id, account.unit_id)
    elif role in {Role.OPERATOR.value, Role.OPERATIONS_MANAGER.value}:
        ids = {*await accounts.operator_ids(session, account), account.operations_manager_id}
        people = await active_users(session, account.tenant_id, ids)
    return people or admins


async def administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the unit that runs the account."""
    account = await _account(session, event)
    heads = await unit_heads(session, event.tenant_id, [account.unit_id if account is not None else None])
    return everyone(await general_administrators(session, event), heads)


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
