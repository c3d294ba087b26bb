from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Date, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class MonitoringRecord(Base):
    """A look at an account's posts and the reactions to them, and what it found."""

    __tablename__ = "monitoring_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    monitored_on: Mapped[dt.date] = mapped_column(Date)
    issues_found: Mapped[bool]
    findings: Mapped[str] = mapped_column(default="")
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AccountReview(Base):
    """A periodic review: the account against its purpose and targets (PDCA), or its security settings."""

    __tablename__ = "account_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    reviewed_on: Mapped[dt.date] = mapped_column(Date)
    action_needed: Mapped[bool]
    findings: Mapped[str] = mapped_column(default="")
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MonitoringDeadline(StrEnum):
    """What falls due when nothing happens: a look at the account, a post, a periodic review."""

    MONITORING = "monitoring.due"
    INACTIVITY = "inactivity.check"
    PERIODIC_REVIEW = "periodic_review.due"
    SETTINGS_REVIEW = "settings_review.due"
