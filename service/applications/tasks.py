"""Who hears of an application's steps (mail; webhooks get every event they subscribe to).

Submitted: those who may decide it, the general administrators and, where the configuration makes
unit heads approvers, the heads of its unit. Decided or withdrawn: the applicant and the general
administrators.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import PEOPLE_PURGED
from service.accounts.models import Account
from service.applications import service
from service.applications.models import Application
from service.events.models import Event
from service.identity.models import User
from service.kit.clock import SystemClock
from service.kit.context import Ctx
from service.kit.errors import ProblemError
from service.kit.registry import Registry
from service.notifications.service import active_users, everyone, general_administrators, unit_heads_of


async def _application(session: AsyncSession, event: Event) -> Application | None:
    """The application the event is about (its subject), if it is still there."""
    ctx = Ctx.for_system(session, event.tenant_id, session.info.get("clock") or SystemClock(), "notifications")
    try:
        return await service.get_application(ctx, uuid.UUID(str(event.subject_id)), lock=False)
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def _account(session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account | None:
    try:
        return await accounts.get_account(session, tenant_id, account_id)
    except ProblemError as exc:
        if exc.problem != "not-found":
            raise
        return None


async def deciders(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators and, where the configuration makes unit heads approvers, the
    heads of the account's unit and of the unit above it."""
    admins = await general_administrators(session, event)
    application = await _application(session, event)
    if application is None or event.data.get("approver_role") != "unit_head":
        return admins
    account = await _account(session, event.tenant_id, application.account_id)
    heads = await unit_heads_of(session, event.tenant_id, account.unit_id if account is not None else None)
    return everyone(admins, heads)


async def applicant_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    """The applicant (while active), and the general administrators."""
    admins = await general_administrators(session, event)
    application = await _application(session, event)
    if application is None or application.created_by is None:
        return admins
    return everyone(await active_users(session, event.tenant_id, [application.created_by]), admins)


EVENTS = {
    "application.submitted": ("申請が提出された", "An application was submitted"),
    "application.approved": ("申請が承認された", "An application was approved"),
    "application.rejected": ("申請が却下された", "An application was rejected"),
    "application.withdrawn": ("申請が取り下げられた", "An application was withdrawn"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.subscribe(PEOPLE_PURGED, service.forget_people)
    registry.hear(["application.submitted"], deciders)
    registry.hear(
        ["application.approved", "application.rejected", "application.withdrawn"], applicant_and_administrators
    )
