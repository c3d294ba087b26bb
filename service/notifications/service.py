"""Mail: who hears of an event, in which language, and how it leaves (SMTP, or the mailbox table).

Without SMTP_URL every message is kept in `mail_messages` (state `kept`), readable through the API,
so a demo or a test shows what would have been sent. With it, messages go out over SMTP; the row
records the outcome. Delivery is at least once: a worker that dies after the server accepted a
message but before recording it will send it again.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import uuid
from collections.abc import Collection
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from service.events.hooks import Dispatch
from service.events.models import Event
from service.identity.models import User
from service.kit import registry
from service.kit.context import Ctx
from service.kit.i18n import Lang
from service.kit.permissions import Role
from service.kit.queue import enqueue
from service.notifications import repository
from service.notifications.models import MailMessage, MailState
from service.notifications.repository import MailRepository
from service.notifications.templates import DEADLINE_LABELS, render
from service.tenants import service as tenants
from service.tenants.models import Tenant
from service.tenants.service import tenant_of
from service.users import service as users


def everyone(*groups: list[User]) -> list[User]:
    """The users of several groups, each once, in the order first met."""
    seen: dict[uuid.UUID, User] = {}
    for group in groups:
        for user in group:
            seen.setdefault(user.id, user)
    return list(seen.values())


# ---- who hears of an event (each domain names its own in tasks.register; these are the pieces) ------


async def general_administrators(session: AsyncSession, event: Event) -> list[User]:
    """The tenant's active general administrators: who hears of an event nobody else is named for."""
    return await users.active_with_role(session, event.tenant_id, Role.GENERAL_ADMINISTRATOR)


async def unit_heads(session: AsyncSession, tenant_id: uuid.UUID, unit_ids: list[uuid.UUID | None]) -> list[User]:
    """The active unit heads of these units."""
    return await users.active_with_role(session, tenant_id, Role.UNIT_HEAD, unit_ids)


async def unit_heads_of(session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID | None) -> list[User]:
    """The active heads of a unit and of the unit above it."""
    if unit_id is None:
        return []
    parent = await tenants.parent_unit(session, tenant_id, unit_id)
    return await unit_heads(session, tenant_id, [unit_id, parent])


async def active_users(session: AsyncSession, tenant_id: uuid.UUID, ids: Collection[uuid.UUID | None]) -> list[User]:
    """Those of these users of the tenant who have not been disabled."""
    return await users.active_users(session, tenant_id, {i for i in ids if i is not None})


def _when(days_before: int | None, lang: Lang) -> str:
    if not days_before:
        return "本日" if lang == "ja" else "today"
    return f"あと{days_before}日" if lang == "ja" else f"in {days_before} days"


def template_values(event: Event, tenant: Tenant, user: User, lang: Lang) -> dict[str, Any]:
    data = event.data
    label_key = str(data.get("deadline_kind", ""))
    label = DEADLINE_LABELS.get(label_key, {}).get(lang, label_key or "-")
    return {
        **{k: v for k, v in data.items() if isinstance(v, str | int | float)},
        "tenant": tenant.name_ja if lang == "ja" else tenant.name_en,
        "recipient": user.display_name,
        "subject": data.get("subject_label")
        or (
            (tenant.name_ja if lang == "ja" else tenant.name_en)
            if event.subject_kind == "tenant"
            else f"{event.subject_kind} {event.subject_id or ''}".strip()
        ),
        "label": label,
        "when": _when(data.get("days_before"), lang),
    }


async def queue_mail_for(fact: Dispatch) -> int:
    """Compose one message per recipient, in their language, and queue each for sending."""
    session, event, now = fact.session, fact.event, fact.now
    tenant = await tenant_of(session, event.tenant_id)
    chooser = registry.current().recipients.get(event.type, general_administrators)
    mail = MailRepository(session, event.tenant_id)
    queued = 0
    for user in await chooser(session, event):
        lang: Lang = "en" if user.locale == "en" else "ja"
        subject, body = render(event.type, lang, template_values(event, tenant, user, lang))
        mail_id = await mail.queue_once(
            event_id=event.id,
            user_id=user.id,
            to=user.email,
            locale=lang,
            subject=subject,
            body=body,
            dedupe_key=f"event:{event.id}:user:{user.id}",
            now=now,
        )
        if mail_id is not None:
            await enqueue(session, "send_mail", tenant_id=event.tenant_id, now=now, mail_id=str(mail_id))
            queued += 1
    return queued


async def list_mail(
    ctx: Ctx, before: uuid.UUID | None, limit: int, *, state: MailState | None = None
) -> tuple[list[MailMessage], bool]:
    """Mail to the tenant's people, newest first (in one state, if given)."""
    return await MailRepository(ctx.session, ctx.tenant_id).newest_first(before, limit, state=state)


# ---- the mail actor's part --------------------------------------------------------------------------


async def to_send(session: AsyncSession, mail_id: uuid.UUID, now: dt.datetime, *, smtp: bool) -> MailMessage | None:
    """The message to hand to the SMTP server, if it is still to go and there is one. Without an
    SMTP server it is kept here (the mailbox), and there is nothing more to do."""
    mail = await repository.mail_by_id(session, mail_id)
    if mail.state != MailState.QUEUED:
        return None
    if not smtp:
        mail.state, mail.transport, mail.sent_at = MailState.KEPT, "mailbox", now
        return None
    return mail


async def sent(session: AsyncSession, mail_id: uuid.UUID, now: dt.datetime) -> None:
    await repository.mark_sent(session, mail_id, now)


async def failed(session: AsyncSession, mail_id: uuid.UUID, error: str) -> None:
    """Out of retries: the message stays failed, with the last error."""
    await repository.mark_failed(session, mail_id, error)


class SmtpSender:
    """SMTP_URL: smtp://[user:password@]host[:port] (STARTTLS when offered), smtps://… (TLS),
    or smtp+insecure://… for a local relay that offers no TLS."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps", "smtp+insecure"} or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://, smtps:// or smtp+insecure:// with a host")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 587 if parts.scheme == "smtp" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = formataddr(("", to))
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="koshiki")
        message.set_content(body, charset="utf-8")
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=20, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=20)
        with client:
            if self.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)
