from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

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


ReviewKind = Literal["periodic_review", "settings_review"]


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[
        ReviewKind,
        Meta(
            description="periodic_review: the account against its purpose and targets (PDCA, renewal.periodic_review); "
            "settings_review: its security settings (security.settings_review)."
        ),
    ]
    action_needed: Annotated[bool, Meta(description="Does the review call for a change (or for closing the account)?")]
    findings: Annotated[str, Meta(max_length=4000, examples=["フォロワー数は目標の8割。発信頻度を週2回に増やす"])] = ""
    reviewed_on: Annotated[dt.date, Meta(description="Defaults to today.")] | None = None


class ReviewRead(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    kind: ReviewKind
    reviewed_on: dt.date
    action_needed: bool
    findings: str
    recorded_by: str
    created_at: dt.datetime
