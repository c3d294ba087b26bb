from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from service.webhooks.models import DeliveryState

Url = Annotated[
    str,
    Meta(
        pattern=r"^https?://[^\s/$.?#].[^\s]*$", max_length=2000, examples=["https://www.pref.example.jp/hooks/koshiki"]
    ),
]
EventTypes = Annotated[
    list[str],
    Meta(
        min_length=1,
        max_length=50,
        description='Event types to receive, or ["*"] for all.',
        examples=[["deadline.due"]],
    ),
]


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    event_types: EventTypes
    description: Annotated[str, Meta(max_length=2000)] = ""


class WebhookUpdate(msgspec.Struct, forbid_unknown_fields=True):
    url: Url | msgspec.UnsetType = msgspec.UNSET
    event_types: EventTypes | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, Meta(max_length=2000)] | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class WebhookRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_by: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    previous_secret_expires_at: dt.datetime | None


class WebhookWithSecret(msgspec.Struct):
    webhook: WebhookRead
    secret: Annotated[str, Meta(description="Shown once. Verify each delivery's Koshiki-Signature with it.")]


class DeliveryRead(msgspec.Struct):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    state: DeliveryState
    attempts: int
    last_status: int | None
    last_duration_ms: int | None
    last_error: str | None
    replay_of: uuid.UUID | None
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    payload: dict[str, Any]
