"""Facts about users that other domains react to, inside the same unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.clock import Clock
from service.kit.registry import Hook


@dataclass(frozen=True, slots=True)
class UserLeft:
    session: AsyncSession
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    clock: Clock


# A member of staff was disabled (moved, retired): what they managed needs someone else.
USER_LEFT: Hook[UserLeft] = Hook("user.left", "A user was disabled: what they were named on needs someone else.")
