"""What incidents hand to every process: the events they emit, and who hears of them (the general
administrators; for a reported incident also the unit head where its kind's procedure says so)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.events.models import Event
from service.identity.models import User
from service.kit.registry import Registry
from service.notifications.service import everyone, general_administrators, unit_heads_of

EVENTS = {
    "incident.reported": ("トラブルが報告された", "An incident was reported"),
    "incident.resolved": ("トラブルが解決した", "An incident was resolved"),
}


async def _unit_of(session: AsyncSession, event: Event) -> uuid.UUID | None:
    if not event.data.get("account_id"):
        return None
    account = await accounts.get_account(session, event.tenant_id, uuid.UUID(str(event.data["account_id"])))
    return account.unit_id


async def the_people_to_tell(session: AsyncSession, event: Event) -> list[User]:
    """The general administrators always, and the heads of the account's unit first where the
    kind's procedure says the unit head must be told."""
    heads: list[User] = []
    if "unit_head" in event.data.get("must_tell", []):
        heads = await unit_heads_of(session, event.tenant_id, await _unit_of(session, event))
    return everyone(heads, await general_administrators(session, event))


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.hear(["incident.reported"], the_people_to_tell)
