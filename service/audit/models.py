from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, InetText


class AuditEvent(Base):
    """One entry of the append-only audit trail."""

    __tablename__ = "audit_events"
    __audited__: ClassVar[bool] = False

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None]
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor_kind: Mapped[str]
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str]
    action: Mapped[str]
    target_kind: Mapped[str]
    target_id: Mapped[str | None]
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None]
    client_ip: Mapped[str | None] = mapped_column(InetText)
