"""Agreements' deadline handlers (in `service`), and who hears of an agreement's end.

The general administrators and the heads of the unit that outsourced hear that it is ending, that
it ended, and that a covered account's password has still not been changed after it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.agreements import service
from service.agreements.models import AgreementDeadline
from service.events.models import Event
from service.identity.models import User
from service.kit.permissions import Role
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators, unit_heads


async def _administrators_and_unit_heads(session: AsyncSession, event: Event) -> list[User]:
    heads = await unit_heads(session, event.tenant_id, [uuid.UUID(str(event.data["unit_id"]))])
    return everyone(await general_administrators(session, event), heads)


EVENTS = {
    "contract.ending": ("委託契約の終了が近づいた", "A contractor agreement is about to end"),
    "contract.ended": ("委託契約が終了した", "A contractor agreement ended"),
    "contract.password_change_overdue": (
        "委託契約の終了後、対象アカウントのパスワード変更が記録されていない",
        "A covered account's password change was not recorded after the agreement ended",
    ),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.standing_rule(Role.CONTRACTOR, service.contractor_standing)
    registry.hear(
        ["contract.ending", "contract.ended", "contract.password_change_overdue"], _administrators_and_unit_heads
    )
    registry.deadline_kinds(
        AgreementDeadline,
        {
            AgreementDeadline.ENDING: service.ending_soon,
            AgreementDeadline.END: service.end_reached,
            AgreementDeadline.PASSWORD_CHECK: service.password_check,
        },
    )
