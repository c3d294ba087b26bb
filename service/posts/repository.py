"""Every query of posts, their sign-offs and reviews."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import and_, exists, func, select, text, update

from service.accounts.models import Account
from service.kit.db import Database
from service.kit.repository import TenantRepository, insert_columns
from service.posts.models import Awaiting, Post, PostReview, PostState, Signoff, SignoffKind


class PostsRepository(TenantRepository[Post]):
    model = Post
    resource = "post"

    async def page(  # type: ignore[override]
        self,
        filters: Mapping[str, Any],
        *,
        accounts: frozenset[uuid.UUID] | None,
        units: frozenset[uuid.UUID] | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> tuple[list[Post], bool]:
        """A page of the tenant's posts in the order they were drafted, filtered; `accounts` or `units`
        (when not None) confine it to the posts of those accounts, or of accounts of those units."""
        query = self.select()
        for name, column in (("state", Post.state), ("awaiting", Post.awaiting), ("account_id", Post.account_id)):
            if filters.get(name) is not None:
                query = query.where(column == filters[name])
        if filters.get("author_id") is not None:
            query = query.where(Post.author_id == filters["author_id"])
        unit = filters.get("unit_id")
        if unit is not None or units is not None:
            in_units = select(Account.id).where(Account.tenant_id == self.tenant_id)
            if unit is not None:
                in_units = in_units.where(Account.unit_id == unit)
            if units is not None:
                in_units = in_units.where(Account.unit_id.in_(units))
            query = query.where(Post.account_id.in_(in_units.scalar_subquery()))
        if accounts is not None:
            query = query.where(Post.account_id.in_(accounts))
        return await super().page(query, after, limit)

    async def live_of_account(self, account_id: uuid.UUID) -> list[Post]:
        """The account's published posts not recorded as deleted from the platform."""
        query = self.select().where(
            Post.account_id == account_id, Post.state == PostState.PUBLISHED, Post.deleted_at.is_(None)
        )
        return list((await self.session.execute(query.order_by(Post.id))).scalars())

    async def to_review(self, unit_id: uuid.UUID) -> list[Post]:
        """The unit's published posts still awaiting its head's review, oldest first."""
        query = self.select().where(
            Post.awaiting == Awaiting.REVIEW,
            Post.account_id.in_(
                select(Account.id).where(Account.tenant_id == self.tenant_id, Account.unit_id == unit_id)
            ),
        )
        return list((await self.session.execute(query.order_by(Post.id))).scalars())

    async def units_with_range_posts(self) -> list[uuid.UUID]:
        """The units that have posts waiting for review."""
        query = (
            select(Account.unit_id)
            .where(
                Account.tenant_id == self.tenant_id,
                exists().where(
                    Post.tenant_id == self.tenant_id, Post.account_id == Account.id, Post.awaiting == Awaiting.REVIEW
                ),
            )
            .distinct()
        )
        return [u for u in (await self.session.execute(query)).scalars() if u is not None]

    async def mark_reviewed(self, posts: Collection[uuid.UUID], review_id: uuid.UUID) -> None:
        await self.session.execute(
            update(Post)
            .where(Post.tenant_id == self.tenant_id, Post.id.in_(list(posts)))
            .values(awaiting=None, review_id=review_id, version=Post.version + 1)
            .execution_options(synchronize_session=False)
        )

    async def forget_people(self, account_id: uuid.UUID, marker: str) -> None:
        """The retention of a closed account ran out: its posts forget who drafted, approved and published them."""
        await self.session.execute(
            update(Post)
            .where(Post.tenant_id == self.tenant_id, Post.account_id == account_id)
            .values(author=marker, author_id=None, approved_by=None, published_by=None)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(Signoff)
            .where(
                Signoff.tenant_id == self.tenant_id,
                Signoff.post_id.in_(
                    select(Post.id).where(Post.tenant_id == self.tenant_id, Post.account_id == account_id)
                ),
            )
            .values(signed_by=marker, user_id=None)
            .execution_options(synchronize_session=False)
        )


class SignoffsRepository(TenantRepository[Signoff]):
    model = Signoff
    resource = "post"

    async def current(self, post: Post) -> list[Signoff]:
        """The sign-offs of the post's present content, in the order given."""
        query = self.select().where(Signoff.post_id == post.id, Signoff.content_hash == post.content_hash)
        return list((await self.session.execute(query.order_by(Signoff.created_at, Signoff.id))).scalars())

    async def of_post(self, post_id: uuid.UUID) -> list[Signoff]:
        query = self.select().where(Signoff.post_id == post_id)
        return list((await self.session.execute(query.order_by(Signoff.created_at, Signoff.id))).scalars())

    async def checked_by(self, post: Post, user_id: uuid.UUID | None, label: str) -> bool:
        query = select(
            exists().where(
                Signoff.tenant_id == self.tenant_id,
                Signoff.post_id == post.id,
                Signoff.content_hash == post.content_hash,
                Signoff.kind == SignoffKind.CHECK,
                Signoff.user_id == user_id if user_id is not None else Signoff.signed_by == label,
            )
        )
        return bool(await self.session.scalar(query))


class ReviewsRepository(TenantRepository[PostReview]):
    model = PostReview
    resource = "post-review"

    async def last_of_unit(self, unit_id: uuid.UUID) -> PostReview | None:
        query = self.select().where(PostReview.unit_id == unit_id).order_by(PostReview.created_at.desc()).limit(1)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def newest_first(
        self, unit_id: uuid.UUID | None, units: frozenset[uuid.UUID] | None, before: uuid.UUID | None, limit: int
    ) -> tuple[list[PostReview], bool]:
        query = self.select()
        if unit_id is not None:
            query = query.where(PostReview.unit_id == unit_id)
        if units is not None:
            query = query.where(PostReview.unit_id.in_(units))
        return await super().page(query, before, limit, newest_first=True)

    async def count_since(self, unit_id: uuid.UUID, since: Any) -> int:
        query = select(func.count()).where(
            and_(PostReview.tenant_id == self.tenant_id, PostReview.unit_id == unit_id, PostReview.created_at >= since)
        )
        return int(await self.session.scalar(query) or 0)


# ---- the hot reads, on the driver directly (no transaction opened; the functions set the tenant) ----

_PAGE = "SELECT * FROM koshiki_post_page($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
_CONTEXT = "SELECT * FROM koshiki_post_context($1, $2, $3, $4, $5)"
_DOCUMENT = "SELECT koshiki_guideline_document($1, $2) AS document"


async def post_page(
    db: Database,
    tenant_id: uuid.UUID,
    filters: Mapping[str, Any],
    *,
    head_unit: uuid.UUID | None,
    operator: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Any]:
    """A page of posts as driver rows (`koshiki_post_page`), confined to the accounts of the unit
    `head_unit` heads and those `operator` runs when either is given."""

    def value(name: str) -> Any:
        found = filters.get(name)
        return found.value if isinstance(found, enum.Enum) else found

    return await db.fetch(
        _PAGE, tenant_id, after, limit, value("state"), value("awaiting"), filters.get("account_id"),
        filters.get("author_id"), filters.get("unit_id"), head_unit, operator,
    )  # fmt: skip


async def post_context(
    db: Database,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    operator: uuid.UUID | None,
    head_unit: uuid.UUID | None,
    at: dt.datetime,
) -> Any | None:
    """What checking a draft for the account needs (`koshiki_post_context`), or None: no such account."""
    rows = await db.fetch(_CONTEXT, tenant_id, account_id, operator, head_unit, at)
    return rows[0] if rows else None


async def guideline_document(db: Database, tenant_id: uuid.UUID, version: int) -> dict[str, Any]:
    rows = await db.fetch(_DOCUMENT, tenant_id, version)
    document: dict[str, Any] = json.loads(rows[0]["document"])
    return document


# A file's published posts at once (an import): one statement per chunk, each row skipped when
# the account already has a post published at that moment with that URL (its natural key).
_INSERT_PUBLISHED = text(
    """
    INSERT INTO posts (id, tenant_id, account_id, author, source, state, content, content_hash, published_at,
                       published_url, published_by, decision, in_range, created_at, updated_at)
    SELECT r.id, :tenant, r.account_id, :author, 'system', 'published',
           CASE WHEN r.body = '' THEN '{}'::jsonb ELSE jsonb_build_object('text', r.body) END, '',
           r.published_at, r.url, :author, r.decision, r.decision = 'pre_approved_range', :now, :now
      FROM unnest(CAST(:ids AS uuid[]), CAST(:accounts AS uuid[]), CAST(:published AS timestamptz[]),
                  CAST(:urls AS text[]), CAST(:decisions AS text[]), CAST(:bodies AS text[]))
           AS r(id, account_id, published_at, url, decision, body)
     WHERE NOT EXISTS (SELECT 1 FROM posts p
                        WHERE p.tenant_id = :tenant AND p.account_id = r.account_id
                          AND p.published_at = r.published_at AND p.published_url IS NOT DISTINCT FROM r.url)
    """
)


async def insert_published(
    session: Any, tenant_id: uuid.UUID, rows: list[tuple[uuid.UUID, uuid.UUID, dt.datetime, str | None, str, str]],
    author: str, now: dt.datetime,
) -> int:  # fmt: skip
    """Insert published posts (id, account, published_at, url, decision, text) not there yet; how many were."""
    return await insert_columns(
        session,
        _INSERT_PUBLISHED,
        ("ids", "accounts", "published", "urls", "decisions", "bodies"),
        rows,
        {"tenant": tenant_id, "author": author, "now": now},
    )
