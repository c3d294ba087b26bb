"""Agreements' deadline handlers (in `service`), and who hears of an agreement's end.

The general administrators and the heads of the unit that outsourced hear that it is ending, that
it ended, and that a covered account's password has still not been changed after it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.agreements import service as _handlers  # noqa: F401 - registers the deadline handlers
from service.events.models import Event
from service.notifications.service import everyone, general_administrators, recipients_for, unit_heads
from service.users.models import User


async def _administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    heads = await unit_heads(session, event.tenant_id, [uuid.UUID(str(event.data["unit_id"]))])
    return everyone(await general_administrators(session, event), heads)


for _kind in ("contract.ending", "contract.ended", "contract.password_change_overdue"):
    recipients_for(_kind)(_administrators_and_unit_heads)
