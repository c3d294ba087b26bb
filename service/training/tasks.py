"""What acknowledgements and training hand to every process: the request to acknowledge a new
guideline version (a hook on the guidelines' change), its reminder deadline, and who hears of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.models import Event
from service.guidelines.hooks import GUIDELINE_CHANGED
from service.identity.models import User
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators
from service.training import service
from service.training.models import AcknowledgementDeadline

EVENTS = {
    "guideline.acknowledgement_requested": (
        "ガイドラインの新しい版の確認（了知）が求められた",
        "Staff were asked to acknowledge a new guideline version",
    ),
    "guideline.acknowledgement_overdue": (
        "ガイドラインの新しい版をまだ確認していない担当者がいる",
        "Some staff have not acknowledged the new guideline version by its deadline",
    ),
}


async def still_to_acknowledge(session: AsyncSession, event: Event) -> list[User]:
    """The operations managers and operators of live accounts who have not acknowledged the version."""
    return await service.not_yet_acknowledged(session, event.tenant_id, int(event.data["version"]))


async def laggards_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    return everyone(await still_to_acknowledge(session, event), await general_administrators(session, event))


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.hear(["guideline.acknowledgement_requested"], still_to_acknowledge)
    registry.hear(["guideline.acknowledgement_overdue"], laggards_and_administrators)
    registry.deadline_kinds(AcknowledgementDeadline, {AcknowledgementDeadline.REMINDER: service.reminder_due})
    registry.subscribe(GUIDELINE_CHANGED, service.guideline_changed)
