"""Applications (別紙様式): a new account, a change to one, or its closure, and their decision."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class ApplicationState(StrEnum):
    """Where an application stands: drafted by a unit, submitted, then decided or withdrawn."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ApplicationKind(StrEnum):
    """What an application asks (申請種別): a new account, a change to one, or its closure."""

    NEW = "new"
    CHANGE = "change"
    CLOSURE = "closure"


# Open: in progress, not yet decided or withdrawn. An account has at most one open application
# (the migration's unique index uq_applications_open lists the same states).
OPEN = frozenset({ApplicationState.DRAFT, ApplicationState.SUBMITTED})


class Application(Base):
    """An application (別紙様式): new account, change, or closure; decided by an approver."""

    __tablename__ = "applications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    kind: Mapped[ApplicationKind] = state_column(ApplicationKind)
    state: Mapped[ApplicationState] = state_column(ApplicationState)
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
