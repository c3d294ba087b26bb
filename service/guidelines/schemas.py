from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta


class GuidelineVersionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new version: the whole document, why it changes, and from when it applies."""

    document: Annotated[
        dict[str, Any],
        Meta(description="The guideline configuration; see GET /v1/guideline-schema for its JSON Schema."),
    ]
    reason: Annotated[str, Meta(min_length=1, max_length=2000, examples=["令和7年度の改正を反映"])]
    effective_from: Annotated[
        dt.date | None,
        Meta(description="The date it applies from (施行日・適用日); today in the tenant's time zone when omitted."),
    ] = None


class GuidelineVersionSummary(msgspec.Struct):
    id: uuid.UUID
    version: int
    reason: str
    effective_from: dt.date
    created_by: str
    created_at: dt.datetime


class GuidelineVersionRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    version: int
    reason: str
    effective_from: dt.date
    created_by: str
    created_at: dt.datetime
    document: dict[str, Any]


class GuidelineChange(msgspec.Struct):
    """One difference: `path` is a JSON Pointer into the document."""

    op: Literal["add", "remove", "replace"]
    path: str
    before: Any = None
    after: Any = None


class GuidelineDiff(msgspec.Struct):
    from_version: int
    to_version: int
    changes: list[GuidelineChange]
