"""Sending one mail message (or keeping it in the mailbox when there is no SMTP server)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import EVENT_DISPATCHED
from service.kit.queue import runtime, work
from service.kit.registry import Registry
from service.notifications import service
from service.notifications.templates import TEMPLATES


async def send_mail(mail_id: str, tenant_id: str | None = None) -> None:
    rt = runtime()
    async with work(tenant_id, "send_mail") as session:
        mail = await service.to_send(session, uuid.UUID(mail_id), rt.clock.now(), smtp=bool(rt.settings.smtp_url))
        if mail is None:
            return
        to, subject, body = mail.to_address, mail.subject, mail.body
    # No transaction is held open while talking to the mail server.
    sender = service.SmtpSender(rt.settings.smtp_url or "", rt.settings.mail_from)
    await asyncio.to_thread(sender.send, to, subject, body)
    async with work(tenant_id, "send_mail") as session:
        await service.sent(session, uuid.UUID(mail_id), rt.clock.now())


async def _mail_failed(session: AsyncSession, kwargs: dict[str, object], error: str) -> None:
    await service.failed(session, uuid.UUID(str(kwargs["mail_id"])), error)


def _every_event_has_its_mail(registry: Registry) -> list[str]:
    """Each event type can be told by mail in both languages, and no template is left over."""
    problems = [
        f"event type {name!r} ({spec.owner}) has no mail template in {lang} (service/notifications/templates.py)"
        for name, spec in registry.event_types.items()
        for lang in ("ja", "en")
        if lang not in TEMPLATES.get(name, {})
    ]
    problems += [
        f"the mail template for {name!r} names an event type no domain declares"
        for name in sorted(set(TEMPLATES) - set(registry.event_types))
    ]
    return problems


def register(registry: Registry) -> None:
    registry.subscribe(EVENT_DISPATCHED, service.queue_mail_for)
    registry.actor(send_mail, queue="mail", max_retries=8, on_dead=_mail_failed)
    registry.require_actor("send_mail", by="notifications.queue_mail_for")
    registry.check_with(_every_event_has_its_mail)
