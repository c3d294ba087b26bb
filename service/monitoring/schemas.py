from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta


class MonitoringCreate(msgspec.Struct, forbid_unknown_fields=True):
    issues_found: Annotated[bool, Meta(description="Anything that needs action (flaming, a fake account, …)?")]
    findings: Annotated[str, Meta(max_length=4000, examples=["不適切なコメント1件を非表示にした"])] = ""
    monitored_on: Annotated[dt.date, Meta(description="Defaults to today.")] | None = None


class MonitoringRead(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    monitored_on: dt.date
    issues_found: bool
    findings: str
    recorded_by: str
    created_at: dt.datetime
