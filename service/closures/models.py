from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Date, DateTime, Integer
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class ClosureState(StrEnum):
    ANNOUNCING = "announcing"  # the grace period runs; the account shows as closing
    AWAITING_STEPS = "awaiting_steps"  # past its last day, with closure steps still unconfirmed
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # overtaken by an immediate closure


class ClosureKind(StrEnum):
    PLANNED = "planned"
    IMMEDIATE = "immediate"


# Under way: it can still be withdrawn, have steps confirmed, announcements recorded.
OPEN = frozenset({ClosureState.ANNOUNCING, ClosureState.AWAITING_STEPS})


class Closure(Base):
    """One closure process of an account: from its approval (or an immediate order) to its end."""

    __tablename__ = "closures"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    application_id: Mapped[uuid.UUID | None]
    kind: Mapped[ClosureKind] = state_column(ClosureKind)
    state: Mapped[ClosureState] = state_column(ClosureState)
    end_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(default="")
    # [{"step", "label", "basis", "confirmed_at", "confirmed_by"}]: the tenant's steps when it began.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    announcement_days: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    escalations: Mapped[int] = mapped_column(default=0)
    started_by: Mapped[str]
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawal_reason: Mapped[str | None]
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}

    @property
    def open(self) -> bool:
        return self.state in OPEN

    def outstanding(self) -> list[str]:
        return [s["step"] for s in self.steps if not s.get("confirmed_at")]


class ClosureAnnouncement(Base):
    """An announcement of the stop, as made (on the account, on the agency's site, …)."""

    __tablename__ = "closure_announcements"
    __audit_name__: ClassVar[str] = "closure_announcement"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    closure_id: Mapped[uuid.UUID]
    days_before: Mapped[int | None]
    channel: Mapped[str]
    url: Mapped[str | None]
    note: Mapped[str] = mapped_column(default="")
    made_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ClosureDeadline(StrEnum):
    """What falls due during a closure: each announcement point, the last day, the weekly recheck, the purge."""

    ANNOUNCEMENT = "closure.announcement"
    END = "closure.end"
    RECHECK = "closure.recheck"
    PURGE = "closure.purge"
