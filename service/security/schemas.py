from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Rule = Literal["min_length", "required_classes", "avoid_guessable"]


class PasswordCheck(msgspec.Struct, forbid_unknown_fields=True):
    """Nothing here is stored or logged."""

    password: Annotated[str, Meta(max_length=256, description="The candidate. Checked, then forgotten.")]
    account_id: Annotated[
        uuid.UUID | None, Meta(description="To also refuse a password made of the account's own handle or name.")
    ] = None


class Failure(msgspec.Struct):
    rule: Rule
    detail: str
    basis: list[str]


class PasswordCheckResult(msgspec.Struct):
    meets_policy: bool
    failures: list[Failure]
    guideline_version: int | None


class PasswordChangeCreate(msgspec.Struct, forbid_unknown_fields=True):
    meets_policy: Annotated[
        bool, Meta(description="The person who changed it attests that the new password meets the tenant's rules.")
    ]
    changed_on: Annotated[dt.date, Meta(description="Defaults to today.")] | None = None
    note: Annotated[str, Meta(max_length=2000)] = ""


class PasswordChangeRead(msgspec.Struct):
    id: uuid.UUID
    account_id: uuid.UUID
    changed_on: dt.date
    meets_policy: bool
    policy_version: int | None
    recorded_by: str
    note: str
    created_at: dt.datetime
