"""Saved runs of the compliance report, and the report's classifications."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class PostingFrequency(StrEnum):
    """004 表11, from the published posts in the window (the first that holds)."""

    TWO_OR_MORE_DAILY = "two_or_more_daily"  # on average two or more a day
    DAILY = "daily"  # posts on at least 5 days of every 7-day block counted back from as_of
    WEEKLY = "weekly"  # a post in every 7-day block
    MONTHLY = "monthly"  # a post in every 30-day block
    IRREGULAR = "irregular"  # some posts
    NONE = "none"


class MonitoringFrequency(StrEnum):
    """004 表14, from the monitoring records in the window (the shortest that holds)."""

    DAILY = "daily"  # no gap longer than 1 day
    WEEKLY = "weekly"  # no gap longer than 7 days
    MONTHLY = "monthly"  # no gap longer than 31 days
    IRREGULAR = "irregular"  # some records
    NONE = "none"


class PostDecision(StrEnum):
    """004 表13, from the account's posts published in the 365 days before as_of."""

    HEAD_APPROVAL = "head_approval"  # every one approved
    PRE_APPROVED_RANGE = "pre_approved_range"  # every one decided, at least one within the range
    NONE = "none"  # at least one with no decision


class DocumentState(StrEnum):
    """004 表8–10: a required document as it stands (its items, against the configuration's list)."""

    COMPLETE = "complete"
    PARTIAL = "partial"
    NONE = "none"


class Consultation(StrEnum):
    """004 表7: consulted at opening (an application approved, or imported with one on record)."""

    CONSULTED = "consulted"
    NOT_CONSULTED = "not_consulted"
    BEFORE_GUIDELINE = "before_guideline"  # opened before the guideline: not counted


class ComplianceSnapshot(Base):
    """One saved run of the report, whole, as it was computed."""

    __tablename__ = "compliance_snapshots"
    # The report is kept whole in the row; the trail records that a snapshot was saved.
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"report"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    as_of: Mapped[dt.date] = mapped_column(Date)
    window_days: Mapped[int]
    label: Mapped[str] = mapped_column(default="")
    report: Mapped[dict[str, Any]] = mapped_column(JSONB)
    finding_count: Mapped[int]
    created_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
