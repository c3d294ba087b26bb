"""/v1/tenants/{tenant_id}/mail: messages sent over SMTP, or kept here when there is no SMTP server."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, id_page, problems
from service.kit.permissions import Permission
from service.notifications import service
from service.notifications.models import MailMessage, MailState
from service.notifications.schemas import MailRead


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
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[MailState | None, QueryParameter(name="state")] = None,
    ) -> Page[MailRead]:
        rows, more = await service.list_mail(ctx, after_id(cursor), limit, state=state_filter)
        return id_page(rows, more, mail_read)
