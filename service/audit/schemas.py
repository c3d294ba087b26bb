from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec


class AuditEventRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    occurred_at: dt.datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    target_kind: str
    target_id: str | None
    changes: dict[str, Any]
    request_id: str | None
    client_ip: str | None


class AuditFilter(msgspec.Struct, frozen=True):
    actor_id: uuid.UUID | None = None
    actor_kind: str | None = None
    action: str | None = None
    target_kind: str | None = None
    target_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
