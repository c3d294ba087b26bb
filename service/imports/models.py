"""An import run: an agency's existing register and records brought in at once, and what it did."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class ImportFormat(StrEnum):
    """How the file came: the JSON document, or the CSV of an agency's register (one row per account)."""

    JSON = "json"
    CSV = "csv"


class ImportRun(Base):
    """One real run of an import (a dry run leaves nothing): who, which file (its digest), what it added."""

    __tablename__ = "imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    format: Mapped[ImportFormat] = state_column(ImportFormat)
    digest: Mapped[str]  # SHA-256 of the file as received
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    imported_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
