from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import DateTime, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.access import Target
from service.kit.db import Base, state_column


class AgreementState(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class LoginIdState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    HANDED_OVER = "handed_over"


class Agreement(Base):
    """An outsourcing (業務委託) or designated-manager (指定管理) agreement for some of a unit's accounts."""

    __tablename__ = "agreements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    contractor_name: Mapped[str]
    kind: Mapped[str]
    reference: Mapped[str]
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    clauses: Mapped[dict[str, Any]] = mapped_column(JSONB)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    finding_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    checked_version: Mapped[int | None]
    state: Mapped[AgreementState] = state_column(AgreementState, default=AgreementState.ACTIVE)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}

    def access_target(self) -> Target:
        return Target("agreement", self.id, self.unit_id)


class AgreementPeriod(Base):
    """One period of an agreement (the first, and each renewal): the history renewals keep."""

    __tablename__ = "agreement_periods"
    __audit_name__: ClassVar[str] = "agreement_period"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    agreement_id: Mapped[uuid.UUID]
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    reference: Mapped[str]
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AgreementAccount(Base):
    """An account the agreement covers: its contractor users see and act on these only."""

    __tablename__ = "agreement_accounts"
    __audit_name__: ClassVar[str] = "agreement_account"

    tenant_id: Mapped[uuid.UUID]
    agreement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)

    @property
    def id(self) -> str:  # the audit trail names rows by id
        return f"{self.agreement_id}:{self.account_id}"


class LoginId(Base):
    """A login ID (ログインID) of a covered account: the agency's or the contractor's, and its fate."""

    __tablename__ = "login_ids"
    __audit_name__: ClassVar[str] = "login_id"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    agreement_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    login_id: Mapped[str]
    holder: Mapped[str]
    state: Mapped[LoginIdState] = state_column(LoginIdState, default=LoginIdState.ACTIVE)
    state_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(default="")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class AgreementDeadline(StrEnum):
    """What falls due for an agreement: the reminders before its end, the end, the password check after it."""

    ENDING = "contract.ending"
    END = "contract.end"
    PASSWORD_CHECK = "contract.password_check"  # noqa: S105 - a deadline kind, not a password
