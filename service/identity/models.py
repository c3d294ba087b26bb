from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class RefreshToken(Base):
    """One link in a login session's chain. Each use marks it used and issues the next; a used
    link presented again means the chain leaked, and the whole family is revoked."""

    __tablename__ = "refresh_tokens"
    # Sessions come and go with every refresh; logins and logouts are audited as events instead.
    __audited__: ClassVar[bool] = False

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None]
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None]
