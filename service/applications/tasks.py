"""Who hears of an application's steps (mail; webhooks get every event they subscribe to).

Submitted: those who may decide it, the general administrators and, where the configuration makes
unit heads approvers, the heads of its unit. Decided or withdrawn: the applicant and the general
administrators.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import PEOPLE_PURGED
from service.accounts.models import Account
from service.applications import service
from service.applications.models import Application
from service.events.models import Event
from service.identity.models import User
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators
from service.tenants.models import Unit


async def _application(session: AsyncSession, event: Event) -> Application | None:
    return (
        await session.execute(
            select(Application).where(
                Application.tenant_id == event.tenant_id, Application.id == uuid.UUID(str(event.subject_id))
            )
        )
    ).scalar_one_or_none()


async def deciders(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    application = await _application(session, event)
    if application is None or event.data.get("approver_role") != "unit_head":
        return admins
    unit_id = await session.scalar(select(Account.unit_id).where(Account.id == application.account_id))
    parent_id = await session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    heads = await session.execute(
        select(User).where(
            User.tenant_id == event.tenant_id,
            User.disabled_at.is_(None),
            User.roles.contains([Role.UNIT_HEAD.value]),
            User.unit_id.in_([u for u in (unit_id, parent_id) if u is not None]),
        )
    )
    return everyone(admins, list(heads.scalars()))


async def applicant_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    admins = await general_administrators(session, event)
    application = await _application(session, event)
    if application is None or application.created_by is None:
        return admins
    applicant = (
        await session.execute(select(User).where(User.id == application.created_by, User.disabled_at.is_(None)))
    ).scalar_one_or_none()
    return everyone([applicant] if applicant else [], admins)


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
