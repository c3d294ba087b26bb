from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

TenantRole = Literal["general_administrator", "operations_manager", "unit_head", "operator", "auditor", "contractor"]
LoginId = Annotated[
    str, Meta(pattern=r"^[A-Za-z0-9._@-]{3,64}$", description="Letters, digits and . _ @ -", examples=["koho-taro"])
]
Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["taro.koho@example.jp"])]
DisplayName = Annotated[str, Meta(min_length=1, max_length=200, examples=["広報 太郎"])]
Locale = Literal["ja", "en"]
Roles = Annotated[list[TenantRole], Meta(min_length=1, max_length=6)]


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    login_id: LoginId
    email: Email
    display_name: DisplayName
    roles: Roles
    locale: Locale = "ja"
    unit_id: Annotated[uuid.UUID | None, Meta(description="The unit the person belongs to (a unit head heads it).")] = (
        None
    )
    agreement_id: Annotated[
        uuid.UUID | None,
        Meta(description="For a contractor: the agreement that bounds what they see and do, and when."),
    ] = None


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email | msgspec.UnsetType = msgspec.UNSET
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    roles: Roles | msgspec.UnsetType = msgspec.UNSET
    unit_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    agreement_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


class UserRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    login_id: str
    email: str
    display_name: str
    locale: str
    roles: list[str]
    unit_id: uuid.UUID | None
    agreement_id: uuid.UUID | None
    password_must_change: bool
    disabled_at: dt.datetime | None
    last_login_at: dt.datetime | None
    password_changed_at: dt.datetime
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class UserWithPassword(msgspec.Struct):
    """A new user or a reset password: the temporary password is shown this once."""

    user: UserRead
    temporary_password: Annotated[str, Meta(description="Shown once. The user must change it at their first login.")]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, Meta(min_length=1, max_length=1024)]
    new_password: Annotated[str, Meta(min_length=1, max_length=1024)]


class Me(msgspec.Struct):
    """The caller: a user (with `user`) or an API token."""

    kind: str
    id: uuid.UUID
    label: str
    tenant_id: uuid.UUID | None
    roles: list[str]
    permissions: list[str]
    user: UserRead | None = None
