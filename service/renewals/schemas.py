from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.renewals.models import Decision

DeclarationState = Literal["pending", "declared", "overdue"]


class DeclarationRead(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    due_on: Annotated[dt.date, Meta(description="The round's deadline (e.g. 31 March, for the fiscal year after).")]
    state: DeclarationState
    decision: Decision | None
    declared_at: dt.datetime | None
    declared_by: str | None
    note: str
    application_id: Annotated[uuid.UUID | None, Meta(description="The closure application a 'discontinue' opened.")]
    overdue_at: dt.datetime | None
    version: int


class Declare(msgspec.Struct, forbid_unknown_fields=True):
    decision: Annotated[
        Decision, Meta(description="continue: next fiscal year too; discontinue: a closure application is opened.")
    ]
    note: Annotated[str, Meta(max_length=2000)] = ""
