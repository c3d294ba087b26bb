"""The rotation reminder's handler (in `service`), and who hears of passwords and staff moves."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import ACCOUNT_OPENED
from service.accounts.models import Account
from service.events.models import Event
from service.identity.models import User
from service.kit.errors import ProblemError
from service.kit.registry import Registry
from service.notifications.service import active_users, everyone, general_administrators, unit_heads_of
from service.security import service
from service.security.models import SecurityDeadline
from service.users.hooks import USER_LEFT


async def _account(session: AsyncSession, event: Event) -> Account | None:
    """The account the event is about (its subject), if it is still there."""
    try:
        return await accounts.get_account(session, event.tenant_id, uuid.UUID(str(event.subject_id)))
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def account_people(session: AsyncSession, event: Event) -> list[User]:
    """Those who run the account (its manager and operators, while active); failing them, the
    general administrators."""
    account = await _account(session, event)
    if account is None:
        return await general_administrators(session, event)
    people = {*await accounts.operator_ids(session, account), account.operations_manager_id}
    return await active_users(session, account.tenant_id, people) or await general_administrators(session, event)


async def unit_heads_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the account's unit and of the unit above it."""
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    return everyone(admins, await unit_heads_of(session, event.tenant_id, account.unit_id))


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
