from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class MailState(StrEnum):
    QUEUED = "queued"  # composed, waiting for the mail actor
    SENT = "sent"  # accepted by the SMTP server
    KEPT = "kept"  # no SMTP server: kept here, in the mailbox
    FAILED = "failed"  # out of retries


class MailMessage(Base):
    """An e-mail to a person: sent over SMTP, or kept here (the mailbox) when there is no SMTP server."""

    __tablename__ = "mail_messages"
    __audited__: ClassVar[bool] = False  # the table is itself the log of mail

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID | None]
    event_id: Mapped[uuid.UUID | None]
    recipient_user_id: Mapped[uuid.UUID | None]
    to_address: Mapped[str]
    locale: Mapped[str]
    subject: Mapped[str]
    body: Mapped[str]
    state: Mapped[MailState] = state_column(MailState, default=MailState.QUEUED)
    transport: Mapped[str | None]
    error: Mapped[str | None]
    dedupe_key: Mapped[str]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
