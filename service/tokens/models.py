from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import Text

from service.kit.db import Base, InetText


class ApiToken(Base):
    """A bearer token. Only the SHA-256 of its secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"secret_hash", "last_used_at", "last_used_ip"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None]
    role: Mapped[str]
    name: Mapped[str]
    description: Mapped[str] = mapped_column(default="")
    token_prefix: Mapped[str]
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_by: Mapped[str]
    created_by_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None]
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_ip: Mapped[str | None] = mapped_column(InetText)
