"""The fact the guidelines domain publishes: a tenant's configuration changed."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.registry import Hook


@dataclass(frozen=True, slots=True)
class GuidelineChanged:
    session: AsyncSession
    tenant_id: uuid.UUID
    now: dt.datetime


# A version was recorded, or a preset applied again: what the configuration schedules is derived
# again by whoever schedules it (subscribers are idempotent).
GUIDELINE_CHANGED: Hook[GuidelineChanged] = Hook(
    "guideline.changed", "A configuration version was recorded (or re-applied): what it schedules is derived again."
)
