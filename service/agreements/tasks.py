"""Agreements' deadline handlers (in `service`), and who hears of an agreement's end.

The general administrators and the heads of the unit that outsourced hear that it is ending, that
it ended, and that a covered account's password has still not been changed after it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.agreements import service as _handlers  # noqa: F401 - registers the deadline handlers
from service.events.models import Event
from service.kit.permissions import Role
from service.notifications.service import everyone, general_administrators, recipients_for
from service.users.models import User


async def _administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    heads = await session.execute(
        select(User)
        .where(
            User.tenant_id == event.tenant_id,
            User.disabled_at.is_(None),
            User.roles.contains([Role.UNIT_HEAD.value]),
            User.unit_id == uuid.UUID(str(event.data["unit_id"])),
        )
        .order_by(User.id)
    )
    return everyone(await general_administrators(session, event), list(heads.scalars()))


for _kind in ("contract.ending", "contract.ended", "contract.password_change_overdue"):
    recipients_for(_kind)(_administrators_and_unit_heads)
