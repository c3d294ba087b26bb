"""Every query of the mail the service sends (or keeps, without an SMTP server)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.ids import uuid7
from service.kit.repository import TenantRepository
from service.notifications.models import MailMessage, MailState

# One message per event and person, whatever the redeliveries of the dispatch.
_INSERT_ONCE = text(
    """
    INSERT INTO mail_messages (id, tenant_id, event_id, recipient_user_id, to_address, locale, subject, body,
                               state, dedupe_key, created_at)
    VALUES (:id, :tenant_id, :event_id, :user_id, :to, :locale, :subject, :body, :state, :key, :now)
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
    """
)


class MailRepository(TenantRepository[MailMessage]):
    model = MailMessage
    resource = "mail"

    async def newest_first(
        self, before: uuid.UUID | None, limit: int, *, state: MailState | None = None
    ) -> tuple[list[MailMessage], bool]:
        query = self.select()
        if state is not None:
            query = query.where(MailMessage.state == state)
        return await self.page(query, before, limit, newest_first=True)

    async def queue_once(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        to: str,
        locale: str,
        subject: str,
        body: str,
        dedupe_key: str,
        now: dt.datetime,
    ) -> uuid.UUID | None:
        """A queued message, unless one with this key exists already (None then)."""
        mail_id: uuid.UUID | None = await self.session.scalar(
            _INSERT_ONCE,
            {
                "id": uuid7(),
                "tenant_id": self.tenant_id,
                "event_id": event_id,
                "user_id": user_id,
                "to": to,
                "locale": locale,
                "subject": subject,
                "body": body,
                "state": MailState.QUEUED.value,
                "key": dedupe_key,
                "now": now,
            },
        )
        return mail_id


# ---- the mail actor's statements (its unit of work is in the message's tenant) ------------------------


async def mail_by_id(session: AsyncSession, mail_id: uuid.UUID) -> MailMessage:
    return (await session.execute(select(MailMessage).where(MailMessage.id == mail_id))).scalar_one()


async def mark_sent(session: AsyncSession, mail_id: uuid.UUID, now: dt.datetime) -> None:
    """Sent over SMTP (unless something else became of it meanwhile)."""
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == mail_id, MailMessage.state == MailState.QUEUED)
        .values(state=MailState.SENT, transport="smtp", sent_at=now, error=None)
    )


async def mark_failed(session: AsyncSession, mail_id: uuid.UUID, error: str) -> None:
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == mail_id, MailMessage.state == MailState.QUEUED)
        .values(state=MailState.FAILED, error=error)
    )
