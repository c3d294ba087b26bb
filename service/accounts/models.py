from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime, ForeignKeyConstraint, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class Account(Base):
    """An official social media account of a tenant, from its draft to its closure."""

    __tablename__ = "accounts"
    # Activity dates move with every post or check; the trail records those as their own events.
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"last_post_at"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    platform: Mapped[str]
    handle: Mapped[str | None]
    platform_user_id: Mapped[str | None]
    account_key: Mapped[str]
    id_key: Mapped[str | None]
    canonical_url: Mapped[str]
    display_name: Mapped[str]
    purpose: Mapped[str] = mapped_column(default="")
    operating_body: Mapped[str]
    operations_manager_id: Mapped[uuid.UUID | None]
    signup_mailbox: Mapped[str | None]
    verified_badge: Mapped[bool] = mapped_column(default=False)
    profile_links_register: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(default="draft")
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    closing_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    last_post_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_password_change_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_monitored_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    needs_attention: Mapped[bool] = mapped_column(default=False)
    attention_reasons: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (ForeignKeyConstraint(["tenant_id", "unit_id"], ["units.tenant_id", "units.id"]),)
    __mapper_args__ = {"version_id_col": version}


class AccountOperator(Base):
    __tablename__ = "account_operators"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    @property
    def id(self) -> str:  # the audit trail names a target by id
        return f"{self.account_id}:{self.user_id}"


class AccountDocument(Base):
    """A document required before opening, stored item by item."""

    __tablename__ = "account_documents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    items: Mapped[dict[str, str]] = mapped_column(JSONB)
    public_url: Mapped[str | None]
    disclosed_on_account: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class Post(Base):
    __tablename__ = "posts"
    __audited__: ClassVar[bool] = False  # the posts table is the activity log itself

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    posted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    url: Mapped[str | None]
    approved_by: Mapped[str | None]
    recorded_by: Mapped[str]
    source: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ImpersonationWarning(Base):
    """A known fake account the tenant warns about in its public register."""

    __tablename__ = "impersonation_warnings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    platform: Mapped[str]
    account_key: Mapped[str]
    url: Mapped[str]
    handle: Mapped[str | None]
    note_ja: Mapped[str] = mapped_column(default="")
    note_en: Mapped[str] = mapped_column(default="")
    active: Mapped[bool] = mapped_column(default=True)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class Application(Base):
    """An application (別紙様式): new account, change, or closure; decided by an approver."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    state: Mapped[str]
    form: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_by: Mapped[uuid.UUID | None]
    created_by_label: Mapped[str]
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None]
    decided_by_label: Mapped[str | None]
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}
