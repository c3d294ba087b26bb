"""Renewals' deadline handlers (in `service`), and who hears of a round.

A reminder goes to whoever the configuration says declares (the account's operations manager,
its operators, the unit's heads); an overdue declaration to the general administrators and the
unit's heads; a declaration made, to the general administrators.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import ACCOUNT_OPENED
from service.accounts.models import Account, AccountOperator
from service.events.models import Event
from service.guidelines import service as guidelines
from service.guidelines.hooks import GUIDELINE_CHANGED
from service.identity.models import User
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators, unit_heads
from service.renewals import service
from service.renewals.models import ContinuationDeadline, RenewalDeadline
from service.tenants.models import Unit


async def _account(session: AsyncSession, event: Event) -> Account | None:
    return (
        await session.execute(
            select(Account).where(Account.tenant_id == event.tenant_id, Account.id == uuid.UUID(str(event.subject_id)))
        )
    ).scalar_one_or_none()


async def _users(session: AsyncSession, tenant_id: uuid.UUID, *conditions: object) -> list[User]:
    rows = await session.execute(
        select(User).where(User.tenant_id == tenant_id, User.disabled_at.is_(None), *conditions).order_by(User.id)  # type: ignore[arg-type]
    )
    return list(rows.scalars())


async def _unit_heads(session: AsyncSession, account: Account) -> list[User]:
    parent = await session.scalar(select(Unit.parent_id).where(Unit.id == account.unit_id))
    return await unit_heads(session, account.tenant_id, [account.unit_id, parent])


async def declarers(session: AsyncSession, event: Event) -> list[User]:
    account = await _account(session, event)
    if account is None:
        return await general_administrators(session, event)
    _, config = await guidelines.in_force_on(
        session, account.tenant_id, dt.date.fromisoformat(str(event.data["due_on"]))
    )
    roles = set((config or {}).get("renewal", {}).get("continuation_declaration", {}).get("declared_by", []))
    people: set[uuid.UUID] = set()
    if "operations_manager" in roles and account.operations_manager_id:
        people.add(account.operations_manager_id)
    if "operator" in roles:
        people |= set(
            (
                await session.execute(select(AccountOperator.user_id).where(AccountOperator.account_id == account.id))
            ).scalars()
        )
    found = await _users(session, account.tenant_id, User.id.in_(people)) if people else []
    heads = await _unit_heads(session, account) if "unit_head" in roles else []
    return everyone(found, heads) or await general_administrators(session, event)


async def administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    return everyone(admins, await _unit_heads(session, account)) if account else admins


EVENTS = {
    "renewal.reminder": (
        "継続希望の申し出がまだない（期限前の催促）",
        "A continuation declaration is still to be made",
    ),
    "renewal.overdue": (
        "継続希望の申し出が期限を過ぎてもない",
        "A continuation declaration was not made by its deadline",
    ),
    "renewal.declared": ("継続希望の申し出があった", "A continuation declaration was made"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.subscribe(ACCOUNT_OPENED, service.account_opened)
    registry.subscribe(GUIDELINE_CHANGED, service.guideline_changed)
    registry.deadline_kinds(
        ContinuationDeadline,
        {ContinuationDeadline.DEADLINE: service.deadline_reached, ContinuationDeadline.REMINDER: service.remind_tenant},
    )
    registry.hear(["renewal.reminder"], declarers)
    registry.hear(["renewal.overdue"], administrators_and_unit_heads)
    registry.deadline_kinds(
        RenewalDeadline,
        {
            RenewalDeadline.REMINDER: service.remind,
            RenewalDeadline.DUE: service.due,
        },
    )
