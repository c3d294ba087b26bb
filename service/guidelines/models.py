from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class GuidelineVersion(Base):
    """One immutable version of a tenant's guideline configuration."""

    __tablename__ = "guideline_versions"
    # The document is kept whole in the version itself; the trail records that a version was made.
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"document"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str]
    effective_from: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str]
    created_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
