from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class IncidentState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Incident(Base):
    """Something that went wrong with an account (or against the agency's name), and its outcome."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID | None]
    kind: Mapped[str]
    severity: Mapped[str]
    title: Mapped[str]
    description: Mapped[str] = mapped_column(default="")
    crime: Mapped[bool] = mapped_column(default=False)
    fake_url: Mapped[str | None]
    warning_id: Mapped[uuid.UUID | None]
    state: Mapped[IncidentState] = state_column(IncidentState, default=IncidentState.OPEN)
    reported_by: Mapped[str]
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolution: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class IncidentEntry(Base):
    """One line of an incident's timeline: something done, or someone told."""

    __tablename__ = "incident_entries"
    __audit_name__: ClassVar[str] = "incident_entry"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    incident_id: Mapped[uuid.UUID]
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str]
    notified: Mapped[str | None]
    note: Mapped[str] = mapped_column(default="")
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
