from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.incidents.models import IncidentState

Kind = Literal["flaming", "impersonation", "takeover", "unauthorised_access", "other"]
Severity = Literal["low", "medium", "high", "critical"]
Action = Literal["removal_request", "site_announcement", "correct_and_apologise", "remove_offending_posts"]
Party = Literal[
    "unit_head", "general_administrator", "pr_division", "information_security_division", "police",
    "platform_operator", "press",
]  # fmt: skip


class IncidentCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[Kind, Meta(description="One of the kinds the tenant's configuration handles.")]
    severity: Severity
    title: Annotated[str, Meta(min_length=1, max_length=200, examples=["なりすましアカウントの出現"])]
    account_id: Annotated[uuid.UUID | None, Meta(description="The official account concerned, if any.")] = None
    description: Annotated[str, Meta(max_length=8000)] = ""
    crime: Annotated[
        bool, Meta(description="A crime, or one suspected: the police are to be told where the rules say so.")
    ] = False
    fake_url: (
        Annotated[str, Meta(max_length=2000, description="For an impersonation: the fake account's URL.")] | None
    ) = None
    publish_warning: Annotated[
        bool | None,
        Meta(description="For an impersonation: warn in the public register (default: as the tenant's rules say)."),
    ] = None


class EntryCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[Literal["action", "notified"], Meta(description="Something done, or someone told.")]
    note: Annotated[str, Meta(max_length=4000)] = ""
    notified: Annotated[Party | None, Meta(description="Who was told (with kind 'notified').")] = None
    happened_at: Annotated[dt.datetime, Meta(description="Defaults to now.")] | None = None


class Resolve(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Annotated[str, Meta(min_length=1, max_length=4000)]


class EntryRead(msgspec.Struct):
    id: uuid.UUID
    happened_at: dt.datetime
    kind: str
    notified: str | None
    note: str
    recorded_by: str


class IncidentRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    account_id: uuid.UUID | None
    kind: Kind
    severity: Severity
    title: str
    description: str
    crime: bool
    fake_url: str | None
    warning_id: Annotated[uuid.UUID | None, Meta(description="The warning published in the register, if any.")]
    state: IncidentState
    reported_by: str
    reported_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None
    to_notify: Annotated[
        list[Party], Meta(description="Who the tenant's rules say must be told, in their order, and has not been yet.")
    ]
    to_notify_if_needed: Annotated[
        list[Party], Meta(description="Who to tell where the situation calls for it (e.g. the press), not yet told.")
    ]
    procedure: Annotated[bool, Meta(description="Whether the tenant's rules give a procedure for this kind.")]
    actions: Annotated[
        list[Action], Meta(description="What the procedure asks besides telling people (e.g. a removal request).")
    ]
    timeline: list[EntryRead]
    version: int
