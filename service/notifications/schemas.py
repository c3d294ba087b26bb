from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from service.notifications.models import MailState


class MailRead(msgspec.Struct):
    id: uuid.UUID
    event_id: uuid.UUID | None
    recipient_user_id: uuid.UUID | None
    to_address: str
    locale: str
    subject: str
    body: str
    state: MailState
    transport: str | None
    error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
