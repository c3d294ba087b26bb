from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Date, DateTime, ForeignKeyConstraint, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.access import Target
from service.kit.db import Base, state_column


class AccountStatus(StrEnum):
    """An account's place in its lifecycle (TRANSITIONS in service.py says how it moves)."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSING = "closing"
    CLOSED = "closed"
    REJECTED = "rejected"


# One name for each meaning.
# Ended: nothing more happens to the record (a closed account stays in the register as formerly official).
ENDED = frozenset({AccountStatus.CLOSED, AccountStatus.REJECTED})
# Live: not ended. A live record holds its platform account: no other live record, in any tenant, may claim it.
LIVE = frozenset(AccountStatus) - ENDED
# In service: opened and not yet closed. It posts, is monitored, its password rotates.
IN_SERVICE = frozenset({AccountStatus.ACTIVE, AccountStatus.SUSPENDED, AccountStatus.CLOSING})
# Continuing: in service and not closing. It answers for next year, and may apply for a change or its closure.
CONTINUING = frozenset({AccountStatus.ACTIVE, AccountStatus.SUSPENDED})


class AccountOrigin(StrEnum):
    """How the account came into the register (004 表7: consulted at opening or not)."""

    APPLICATION = "application"  # an application approved here
    IMPORT = "import"  # imported, its opening consultation on record elsewhere
    IMPORT_WITHOUT_CONSULTATION = "import_without_consultation"  # imported: opened with none recorded
    IMPORT_BEFORE_GUIDELINE = "import_before_guideline"  # imported: opened before the guideline existed


class AttentionReason(StrEnum):
    """Why an account needs someone's attention; `needs_attention` holds while any reason does."""

    RENEWAL_OVERDUE = "renewal_overdue"  # no continuation declaration by the deadline
    PASSWORD_ROTATION_DUE = "password_rotation_due"  # noqa: S105 - the tenant's rotation period ran out
    PASSWORD_POLICY_NOT_MET = "password_policy_not_met"  # noqa: S105 - the last change was not attested
    PASSWORD_CHANGE_NEEDED = "password_change_needed"  # noqa: S105 - staff left, a contract ended, a takeover
    MANAGER_CHANGE_NEEDED = "manager_change_needed"  # a named manager or operator left
    MONITORING_OVERDUE = "monitoring_overdue"
    INACTIVE = "inactive"  # no post for longer than the tenant allows
    PERIODIC_REVIEW_DUE = "periodic_review_due"
    SETTINGS_REVIEW_DUE = "settings_review_due"
    CLOSURE_STEPS_OUTSTANDING = "closure_steps_outstanding"


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
    status: Mapped[AccountStatus] = state_column(AccountStatus, default=AccountStatus.DRAFT)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    origin: Mapped[AccountOrigin] = state_column(AccountOrigin, default=AccountOrigin.APPLICATION)
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

    def access_target(self) -> Target:
        return Target("account", self.id, self.unit_id)


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
