"""/v1/tenants/{tenant_id}/mail: messages sent over SMTP, or kept here when there is no SMTP server."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.access import requires
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission
from service.notifications.models import MailMessage


class MailRead(msgspec.Struct):
    id: uuid.UUID
    event_id: uuid.UUID | None
    recipient_user_id: uuid.UUID | None
    to_address: str
    locale: str
    subject: str
    body: str
    state: str
    transport: str | None
    error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


def mail_read(row: MailMessage) -> MailRead:
    return msgspec.convert(row, MailRead, from_attributes=True)


class MailController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/mail"
    tags = ["Events and notifications"]

    @get(
        "/",
        operation_id="listMail",
        summary="Mail to the tenant's people, newest first (the mailbox when there is no SMTP server)",
        guards=[requires(Permission.MAIL_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[str | None, QueryParameter(name="state", pattern="^(queued|sent|kept|failed)$")] = None,
    ) -> Page[MailRead]:
        query = select(MailMessage).where(MailMessage.tenant_id == current_tenant_id)
        if state_filter is not None:
            query = query.where(MailMessage.state == state_filter)
        if (before := after_id(cursor)) is not None:
            query = query.where(MailMessage.id < before)
        rows = list((await db_session.execute(query.order_by(MailMessage.id.desc()).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, mail_read)
