from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class DeadLetterRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    message_id: str
    queue: str
    actor: str
    kwargs: dict[str, Any]
    error: str
    failed_at: dt.datetime
    retried_at: dt.datetime | None
