from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Date, DateTime, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class TrainingKind(StrEnum):
    """What a training session was about (the migration's CHECK on `kind` lists the same values)."""

    SECURITY = "security"  # information security: passwords, takeover, phishing
    DIGITAL_MARKETING = "digital_marketing"  # 004 第3の3(2): using the accounts to reach people
    GUIDELINE = "guideline"  # the tenant's own guideline and its procedures
    OTHER = "other"


class AcknowledgementDeadline(StrEnum):
    """What falls due after a new guideline version asked for acknowledgements."""

    REMINDER = "guideline.acknowledgement_reminder"


class Acknowledgement(Base):
    """A member of staff's statement that they have read one version of the guideline."""

    __tablename__ = "guideline_acknowledgements"
    __audit_name__: ClassVar[str] = "guideline_acknowledgement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    version: Mapped[int]
    user_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID | None]  # the user's unit when they acknowledged
    acknowledged_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TrainingSession(Base):
    """A training session the tenant held, and the users who attended it."""

    __tablename__ = "training_sessions"
    __audit_name__: ClassVar[str] = "training_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    held_on: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str]
    kind: Mapped[TrainingKind] = state_column(TrainingKind)
    note: Mapped[str] = mapped_column(default="")
    attendee_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
