"""Sending one mail message (or keeping it in the mailbox when there is no SMTP server)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.queue import on_dead, runtime, task, work
from service.notifications.models import MailMessage
from service.notifications.service import SmtpSender


@task(queue="mail", max_retries=8)
async def send_mail(mail_id: str, tenant_id: str | None = None) -> None:
    rt = runtime()
    async with work(tenant_id, "send_mail") as session:
        mail = (await session.execute(select(MailMessage).where(MailMessage.id == uuid.UUID(mail_id)))).scalar_one()
        if mail.state != "queued":
            return
        if not rt.settings.smtp_url:
            mail.state, mail.transport, mail.sent_at = "kept", "mailbox", rt.clock.now()
            return
        to, subject, body = mail.to_address, mail.subject, mail.body
    # No transaction is held open while talking to the mail server.
    sender = SmtpSender(rt.settings.smtp_url, rt.settings.mail_from)
    await asyncio.to_thread(sender.send, to, subject, body)
    async with work(tenant_id, "send_mail") as session:
        await session.execute(
            update(MailMessage)
            .where(MailMessage.id == uuid.UUID(mail_id), MailMessage.state == "queued")
            .values(state="sent", transport="smtp", sent_at=rt.clock.now(), error=None)
        )


@on_dead("send_mail")
async def _mail_failed(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    await session.execute(
        update(MailMessage)
        .where(MailMessage.id == uuid.UUID(str(kwargs["mail_id"])), MailMessage.state == "queued")
        .values(state="failed", error=error)
    )
