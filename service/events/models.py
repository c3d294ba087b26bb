from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class Event(Base):
    """Something that happened, told to webhooks, to people by mail, and to systems that poll."""

    __tablename__ = "events"
    __audited__: ClassVar[bool] = False  # events are the record of themselves

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    type: Mapped[str]
    subject_kind: Mapped[str]
    subject_id: Mapped[str | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
