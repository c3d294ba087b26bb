from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class DeadlineState(StrEnum):
    PENDING = "pending"  # waiting for its time
    QUEUED = "queued"  # due: the sweep handed it to a worker
    DONE = "done"
    CANCELLED = "cancelled"  # its subject no longer calls for it
    FAILED = "failed"  # out of retries (an operator may retry its dead message)


# Still to run: not carried out, not cancelled, not given up on.
STILL_TO_RUN = frozenset({DeadlineState.PENDING, DeadlineState.QUEUED})


class Deadline(Base):
    """A timed obligation: when `due_at` passes, the sweep queues it and a worker carries it out."""

    __tablename__ = "deadlines"
    # Bookkeeping of the system's own; what a deadline does is audited when it fires.
    __audited__: ClassVar[bool] = False

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    kind: Mapped[str]
    subject_kind: Mapped[str]
    subject_id: Mapped[str]
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[DeadlineState] = state_column(DeadlineState, default=DeadlineState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dedupe_key: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
