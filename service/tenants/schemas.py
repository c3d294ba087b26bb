from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta

from service.tenants.models import TenantKind

Slug = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Lower-case letters, digits and hyphens; fixed once created.",
        examples=["ehime-pref"],
    ),
]
NameJa = Annotated[str, Meta(min_length=1, max_length=200, examples=["愛媛県"])]
NameEn = Annotated[str, Meta(min_length=1, max_length=200, examples=["Ehime Prefecture"])]
TimeZone = Annotated[
    str, Meta(min_length=1, max_length=64, description="IANA time zone name.", examples=["Asia/Tokyo"])
]
Email = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["koho@example.jp"])]


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name_ja: NameJa
    name_en: NameEn
    kind: TenantKind
    time_zone: TimeZone = "Asia/Tokyo"


class TenantUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; the slug is fixed."""

    name_ja: NameJa | msgspec.UnsetType = msgspec.UNSET
    name_en: NameEn | msgspec.UnsetType = msgspec.UNSET
    kind: TenantKind | msgspec.UnsetType = msgspec.UNSET
    time_zone: TimeZone | msgspec.UnsetType = msgspec.UNSET


class TenantRead(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name_ja: str
    name_en: str
    kind: TenantKind
    time_zone: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


UnitCode = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
        description="Unique in the tenant.",
        examples=["koho"],
    ),
]


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: UnitCode
    name_ja: Annotated[str, Meta(min_length=1, max_length=200, examples=["広報広聴課"])]
    name_en: Annotated[str, Meta(min_length=1, max_length=200, examples=["Public Relations Division"])]
    parent_id: Annotated[uuid.UUID | None, Meta(description="A top-level unit to nest under (one level only).")] = None
    shared_mailbox: Annotated[Email | None, Meta(description="The unit's shared mailbox, if it has one.")] = None


class UnitUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name_ja: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    name_en: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    parent_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    shared_mailbox: Email | msgspec.UnsetType | None = msgspec.UNSET


class UnitRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    code: str
    name_ja: str
    name_en: str
    parent_id: uuid.UUID | None
    shared_mailbox: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
