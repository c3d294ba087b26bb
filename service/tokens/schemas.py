from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta


class ApiTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, examples=["県ホームページ 公式アカウント一覧"])]
    scopes: Annotated[
        list[str],
        Meta(
            min_length=1,
            max_length=50,
            description="Permissions, e.g. units:read, config:read.",
            examples=[["config:read"]],
        ),
    ]
    expires_in_days: Annotated[int, Meta(ge=1, le=365, description="Every token expires; at most a year.")] = 90
    description: Annotated[str, Meta(max_length=2000)] = ""


class ApiTokenRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    name: str
    description: str
    token_prefix: Annotated[str, Meta(description="The first characters, to recognise it; never the secret.")]
    scopes: list[str]
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_by: str | None
    last_used_at: dt.datetime | None
    last_used_ip: str | None


class ApiTokenIssued(msgspec.Struct):
    token: ApiTokenRead
    secret: Annotated[str, Meta(description="Shown once; only its hash is stored.")]
