from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.closures.models import ClosureKind, ClosureState

Channel = Literal["account", "website", "other"]


class ClosureStep(msgspec.Struct):
    step: Annotated[str, Meta(description="A step of the tenant's configuration (closure.steps).")]
    label: str | None
    basis: list[str]
    confirmed_at: dt.datetime | None
    confirmed_by: str | None


class AnnouncementRead(msgspec.Struct):
    id: uuid.UUID
    days_before: int | None
    channel: Channel
    url: str | None
    note: str
    made_on: dt.date
    recorded_by: str


class ClosureRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    application_id: uuid.UUID | None
    kind: Annotated[ClosureKind, Meta(description="planned: through an application; immediate: at once.")]
    state: ClosureState
    end_on: Annotated[dt.date, Meta(description="The account's last day.")]
    reason: str
    steps: list[ClosureStep]
    outstanding_steps: list[str]
    announcement_days: Annotated[list[int], Meta(description="Days before the end on which the stop is announced.")]
    announcements: list[AnnouncementRead]
    escalations: Annotated[int, Meta(description="Times the end came with steps still unconfirmed.")]
    started_by: str
    completed_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawal_reason: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AnnouncementCreate(msgspec.Struct, forbid_unknown_fields=True):
    channel: Annotated[Channel, Meta(description="Where: on the account itself, on the agency's web site, elsewhere.")]
    days_before: Annotated[int, Meta(ge=0, le=365, description="The announcement point it fulfils, if any.")] | None = (
        None
    )
    url: Annotated[str, Meta(pattern=r"^https?://", max_length=2000)] | None = None
    note: Annotated[str, Meta(max_length=2000)] = ""
    made_on: Annotated[dt.date, Meta(description="Defaults to today.")] | None = None


class ClosureReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000, examples=["乗っ取りの被害拡大を防ぐため"])]
