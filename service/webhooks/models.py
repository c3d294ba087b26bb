from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import DateTime, LargeBinary, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class DeliveryState(StrEnum):
    PENDING = "pending"  # queued, not attempted yet
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # the last attempt failed; the queue retries with backoff
    DEAD = "dead"  # out of retries (it may be replayed, as a new delivery)


# Finished: no more attempts are made (a replay is a new delivery).
FINISHED = frozenset({DeliveryState.SUCCEEDED, DeliveryState.DEAD})


class WebhookEndpoint(Base):
    """A URL of an agency system that wants to hear of some event types, with its signing secret."""

    __tablename__ = "webhook_endpoints"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"secret_encrypted", "previous_secret_encrypted"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    url: Mapped[str]
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    description: Mapped[str] = mapped_column(default="")
    active: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class WebhookDelivery(Base):
    """One event to one endpoint, with the outcome of its latest attempt."""

    __tablename__ = "webhook_deliveries"
    __audited__: ClassVar[bool] = False  # the delivery log is its own record

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    endpoint_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[DeliveryState] = state_column(DeliveryState, default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]
    last_duration_ms: Mapped[int | None]
    last_error: Mapped[str | None]
    replay_of: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __audited__: ClassVar[bool] = False

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    delivery_id: Mapped[uuid.UUID]
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[int | None]
    duration_ms: Mapped[int]
    error: Mapped[str | None]
