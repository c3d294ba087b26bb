"""Who people are: users (staff, contractors, platform operators) and their login sessions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import DateTime, ForeignKeyConstraint, LargeBinary, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base


class User(Base):
    """A person who logs in: agency staff, a contractor, or a platform operator (no tenant)."""

    __tablename__ = "users"
    # Logins are audited as events of their own; the hash is a secret.
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"password_hash", "last_login_at"})

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None]
    login_id: Mapped[str]
    email: Mapped[str]
    display_name: Mapped[str]
    locale: Mapped[str] = mapped_column(default="ja")
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    unit_id: Mapped[uuid.UUID | None]
    agreement_id: Mapped[uuid.UUID | None]  # a contractor's agreement: their standing and their fence
    password_hash: Mapped[str]
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    password_must_change: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (ForeignKeyConstraint(["tenant_id", "unit_id"], ["units.tenant_id", "units.id"]),)
    __mapper_args__ = {"version_id_col": version}


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
