from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.accounts.models import AccountOrigin, AccountStatus, AttentionReason

Platform = Literal["x", "facebook", "instagram", "youtube", "line", "tiktok", "other"]
OperatingBody = Literal["direct", "outsourced", "committee", "designated_manager"]
# The list's status filter: the states themselves (the name the routes import).
Status = AccountStatus
DocumentKind = Literal["usage_policy", "operations_manual", "account_policy"]
Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["koho@example.jp"])]
AccountUrl = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=2000,
        description="The account's URL in any of the platform's forms, or its handle (with the platform given).",
        examples=["https://x.com/ehime_pref"],
    ),
]


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    url: AccountUrl
    display_name: Annotated[str, Meta(min_length=1, max_length=200, examples=["愛媛県広報広聴課"])]
    operating_body: OperatingBody
    platform: Platform | None = None
    platform_user_id: (
        Annotated[
            str, Meta(max_length=100, description="The platform's permanent id, if known (a handle can change hands).")
        ]
        | None
    ) = None
    purpose: Annotated[str, Meta(max_length=4000, description="利用目的, as published in the register.")] = ""
    operations_manager_id: Annotated[uuid.UUID | None, Meta(description="The operations manager (a user).")] = None
    operator_ids: Annotated[list[uuid.UUID], Meta(max_length=50, description="The operators (users).")] = msgspec.field(
        default_factory=list
    )
    signup_mailbox: Annotated[
        Email | None,
        Meta(
            description="The address the account was registered with (some tenants require the unit's shared mailbox)."
        ),
    ] = None
    verified_badge: Annotated[bool, Meta(description="The platform shows the account as verified.")] = False
    profile_links_register: Annotated[
        bool, Meta(description="The account's profile links to the tenant's public register.")
    ] = False


class AccountUpdate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    url: AccountUrl | msgspec.UnsetType = msgspec.UNSET
    platform_user_id: Annotated[str, Meta(max_length=100)] | msgspec.UnsetType | None = msgspec.UNSET
    display_name: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    purpose: Annotated[str, Meta(max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    operating_body: OperatingBody | msgspec.UnsetType = msgspec.UNSET
    operations_manager_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    operator_ids: Annotated[list[uuid.UUID], Meta(max_length=50)] | msgspec.UnsetType = msgspec.UNSET
    signup_mailbox: Email | msgspec.UnsetType | None = msgspec.UNSET
    verified_badge: bool | msgspec.UnsetType = msgspec.UNSET
    profile_links_register: bool | msgspec.UnsetType = msgspec.UNSET


class AccountRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    unit_id: uuid.UUID
    platform: str
    handle: str | None
    platform_user_id: str | None
    canonical_url: str
    display_name: str
    purpose: str
    operating_body: str
    operations_manager_id: uuid.UUID | None
    signup_mailbox: str | None
    verified_badge: bool
    profile_links_register: bool
    status: AccountStatus
    opened_on: dt.date | None
    origin: Annotated[
        AccountOrigin,
        Meta(
            description="How it came into the register: an application here, or imported (with or without a consultation on record, or from before the guideline)."
        ),
    ]
    closing_on: dt.date | None
    closed_on: dt.date | None
    last_post_at: dt.datetime | None
    last_password_change_at: dt.datetime | None
    last_monitored_at: dt.datetime | None
    needs_attention: bool
    attention_reasons: list[AttentionReason]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AccountDetail(AccountRead):
    operator_ids: list[uuid.UUID] = msgspec.field(default_factory=list)


class DocumentWrite(msgspec.Struct, forbid_unknown_fields=True):
    items: Annotated[
        dict[str, Annotated[str, Meta(max_length=20000)]],
        Meta(
            description="Item name (from the guideline configuration's list) → its text.",
            examples=[{"purpose": "県政情報の発信"}],
        ),
    ]
    public_url: Annotated[str, Meta(pattern=r"^https?://", max_length=2000)] | None = None
    disclosed_on_account: bool = False


class DocumentRead(msgspec.Struct):
    kind: str
    items: dict[str, str]
    public_url: str | None
    disclosed_on_account: bool
    version: int
    updated_at: dt.datetime


class Unmet(msgspec.Struct):
    """A rule of the tenant's guideline configuration the account does not meet yet."""

    rule: Annotated[str, Meta(description="Where the rule is in the configuration (a JSON Pointer).")]
    detail: str
    basis: list[str] = msgspec.field(default_factory=list)
    missing: list[str] = msgspec.field(default_factory=list)


class Readiness(msgspec.Struct):
    ready: bool
    guideline_version: int | None
    unmet: list[Unmet]


class Reason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class WarningCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: AccountUrl
    platform: Platform | None = None
    note_ja: Annotated[str, Meta(max_length=2000)] = ""
    note_en: Annotated[str, Meta(max_length=2000)] = ""


class WarningRead(msgspec.Struct):
    id: uuid.UUID
    platform: str
    url: str
    handle: str | None
    note_ja: str
    note_en: str
    active: bool
    reported_at: dt.datetime
    resolved_at: dt.datetime | None
