"""What posts hand to every process: their events and who hears of them, their two deadline kinds,
and their reactions to closures (the deletion step) and to the purge of an account's people."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import PEOPLE_PURGED
from service.closures.hooks import STEP_CONFIRMING
from service.events.models import Event
from service.identity.models import User
from service.kit.registry import Registry
from service.notifications.service import active_users, everyone, general_administrators, unit_heads_of
from service.posts import service
from service.posts.models import PostDeadline

EVENTS = {
    "post.submitted": ("投稿が確認・承認待ちになった", "A post was submitted for its checks and approval"),
    "post.approved": ("投稿が承認され、公開できるようになった", "A post was approved and may be published"),
    "post.rejected": ("投稿が差し戻された", "A post was sent back"),
    "post.withdrawn": ("投稿が取り下げられた", "A post was withdrawn"),
    "post.published": ("投稿が公開された", "A post was published"),
    "post.emergency_published": (
        "緊急の投稿が投稿時間外に公開された",
        "An emergency post went out of the posting hours",
    ),
    "post.publication_overdue": (
        "承認済みの投稿が予定時刻を過ぎても公開されていない",
        "An approved post has not been published by its planned time",
    ),
    "post.review_due": (
        "範囲内投稿の定期確認の時期が来た",
        "Posts published without the head's approval are due for review",
    ),
}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def _heads(session: AsyncSession, event: Event) -> list[User]:
    return await unit_heads_of(session, event.tenant_id, _uuid(event.data.get("unit_id")))


async def approvers(session: AsyncSession, event: Event) -> list[User]:
    """The heads of the account's unit; failing them, the general administrators."""
    return await _heads(session, event) or await general_administrators(session, event)


async def author(session: AsyncSession, event: Event) -> list[User]:
    return await active_users(session, event.tenant_id, [_uuid(event.data.get("author_id"))])


async def author_and_heads(session: AsyncSession, event: Event) -> list[User]:
    return everyone(await author(session, event), await _heads(session, event))


async def reported_to_unit(session: AsyncSession, event: Event) -> list[User]:
    """Where the tenant asks for a report after posting (上尾市 4(3)エ), the unit's heads hear of
    every publication at once; elsewhere the event goes to webhooks only."""
    return await approvers(session, event) if event.data.get("reported") else []


async def heads_and_administrators(session: AsyncSession, event: Event) -> list[User]:
    return everyone(await _heads(session, event), await general_administrators(session, event))


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.hear(["post.submitted", "post.review_due"], approvers)
    registry.hear(["post.approved", "post.rejected"], author)
    registry.hear(["post.withdrawn", "post.publication_overdue"], author_and_heads)
    registry.hear(["post.published"], reported_to_unit)
    registry.hear(["post.emergency_published"], heads_and_administrators)
    registry.deadline_kinds(
        PostDeadline,
        {
            PostDeadline.PUBLICATION_OVERDUE: service.publication_overdue,
            PostDeadline.RANGE_REVIEW: service.review_due,
        },
    )
    registry.subscribe(STEP_CONFIRMING, service.refuse_deletion_step_while_posts_live)
    registry.subscribe(PEOPLE_PURGED, service.forget_people)
