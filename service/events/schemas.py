from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class EventRead(msgspec.Struct):
    id: uuid.UUID
    type: str
    subject_kind: str
    subject_id: str | None
    data: dict[str, Any]
    occurred_at: dt.datetime
