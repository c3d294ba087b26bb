"""What closures hand to the workers: the deadline handlers (in `service`), and who hears of them.

An announcement that falls due goes to the people who run the account (its manager and
operators) and the general administrators; steps still unconfirmed at the end, to the general
administrators and the unit's heads, who confirm or chase them.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import Account
from service.closures import service
from service.closures.models import ClosureDeadline
from service.events.models import Event
from service.identity.models import User
from service.kit.errors import ProblemError
from service.kit.registry import Registry
from service.notifications.service import active_users, everyone, general_administrators, unit_heads_of


async def _account(session: AsyncSession, event: Event) -> Account | None:
    """The account the event is about (named in its data), if it is still there."""
    account_id = event.data.get("account_id")
    if not account_id:
        return None
    try:
        return await accounts.get_account(session, event.tenant_id, uuid.UUID(str(account_id)))
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def account_people(session: AsyncSession, event: Event) -> list[User]:
    """Those who run the account (its manager and operators, while active), and the general administrators."""
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    people = {*await accounts.operator_ids(session, account), account.operations_manager_id}
    return everyone(await active_users(session, event.tenant_id, people), admins)


async def unit_heads_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the account's unit and of the unit above it."""
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    return everyone(admins, await unit_heads_of(session, event.tenant_id, account.unit_id))


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
