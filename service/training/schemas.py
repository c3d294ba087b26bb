from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta

from service.training.models import TrainingKind

# PostgreSQL's integer: a version number beyond it names nothing.
VersionNumber = Annotated[int, Meta(ge=1, le=2**31 - 1, description="A guideline version number.")]


class AcknowledgementCreate(msgspec.Struct, forbid_unknown_fields=True):
    version: Annotated[
        VersionNumber | None,
        Meta(description="The version acknowledged; by default the one in force today in the tenant's time zone."),
    ] = None


class AcknowledgementRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    version: int
    user_id: uuid.UUID
    unit_id: Annotated[uuid.UUID | None, Meta(description="The user's unit when they acknowledged.")]
    acknowledged_at: dt.datetime


class TrainingSessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    held_on: Annotated[dt.date, Meta(description="The day it was held: today at the latest.")]
    title: Annotated[str, Meta(min_length=1, max_length=200, examples=["SNS運用研修（情報セキュリティ）"])]
    kind: TrainingKind
    note: Annotated[str, Meta(max_length=4000)] = ""
    attendee_ids: Annotated[
        list[uuid.UUID], Meta(max_length=2000, description="The users of the tenant who attended, each once.")
    ] = []


class TrainingSessionRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    held_on: dt.date
    title: str
    kind: TrainingKind
    note: str
    attendee_ids: list[uuid.UUID]
    recorded_by: str
    created_at: dt.datetime
