"""Renewals' deadline handlers (in `service`), and who hears of a round.

A reminder goes to whoever the configuration says declares (the account's operations manager,
its operators, the unit's heads); an overdue declaration to the general administrators and the
unit's heads; a declaration made, to the general administrators.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import ACCOUNT_OPENED
from service.accounts.models import Account
from service.events.models import Event
from service.guidelines import service as guidelines
from service.guidelines.hooks import GUIDELINE_CHANGED
from service.identity.models import User
from service.kit.errors import ProblemError
from service.kit.registry import Registry
from service.notifications.service import active_users, everyone, general_administrators, unit_heads_of
from service.renewals import service
from service.renewals.models import ContinuationDeadline, RenewalDeadline


async def _account(session: AsyncSession, event: Event) -> Account | None:
    """The account the event is about (its subject), if it is still there."""
    try:
        return await accounts.get_account(session, event.tenant_id, uuid.UUID(str(event.subject_id)))
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def declarers(session: AsyncSession, event: Event) -> list[User]:
    """Whoever the configuration in force on the due day says declares (the account's operations
    manager, its operators, the unit's heads); failing them, the general administrators."""
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
        people |= set(await accounts.operator_ids(session, account))
    found = await active_users(session, account.tenant_id, people)
    heads = await unit_heads_of(session, account.tenant_id, account.unit_id) if "unit_head" in roles else []
    return everyone(found, heads) or await general_administrators(session, event)


async def administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators, and the heads of the account's unit and of the unit above it."""
    admins = await general_administrators(session, event)
    account = await _account(session, event)
    if account is None:
        return admins
    return everyone(admins, await unit_heads_of(session, account.tenant_id, account.unit_id))


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
