from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Date, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class PasswordChange(Base):
    """A change of the social media account's password, as recorded (the password never is)."""

    __tablename__ = "password_changes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    changed_on: Mapped[dt.date] = mapped_column(Date)
    meets_policy: Mapped[bool]
    policy_version: Mapped[int | None]
    recorded_by: Mapped[str]
    note: Mapped[str] = mapped_column(default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SecurityDeadline(StrEnum):
    """What falls due for an account's security: the end of its password's rotation period."""

    ROTATION = "password.rotation"
