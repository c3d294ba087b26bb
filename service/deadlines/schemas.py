from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

from service.deadlines.models import DeadlineState


class DeadlineRead(msgspec.Struct):
    id: uuid.UUID
    kind: str
    subject_kind: str
    subject_id: str
    due_at: dt.datetime
    state: DeadlineState
    attempts: int
    last_error: str | None
    payload: dict[str, Any]
    done_at: dt.datetime | None
