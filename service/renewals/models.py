from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Date, DateTime
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class Decision(StrEnum):
    """An account's answer for a round (the migration's CHECK on `decision` lists the same values)."""

    CONTINUE = "continue"  # next fiscal year too
    DISCONTINUE = "discontinue"  # not: a closure application ending with the fiscal year is opened


class ContinuationDeclaration(Base):
    """An account's answer for one round: continue next fiscal year, or not."""

    __tablename__ = "continuation_declarations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    due_on: Mapped[dt.date] = mapped_column(Date)
    decision: Mapped[Decision | None] = state_column(Decision)
    declared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    declared_by: Mapped[str | None]
    note: Mapped[str] = mapped_column(default="")
    application_id: Mapped[uuid.UUID | None]
    overdue_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class RenewalDeadline(StrEnum):
    """What falls due in a declaration round: each reminder, and the account's deadline."""

    REMINDER = "renewal.reminder"
    DUE = "renewal.due"


class ContinuationDeadline(StrEnum):
    """The tenant-wide deadline of the yearly continuation declaration, and its reminders."""

    DEADLINE = "continuation_declaration"
    REMINDER = "continuation_declaration.reminder"
