"""Posts and their sign-offs and reviews."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.db import Base, state_column


class PostState(StrEnum):
    DRAFT = "draft"  # being written; checks run on every save
    SUBMITTED = "submitted"  # waiting for its checks and approvals
    APPROVED = "approved"  # may be published (approved, or checked where no approval is needed)
    PUBLISHED = "published"
    REJECTED = "rejected"  # sent back with a reason; editing makes it a draft again
    WITHDRAWN = "withdrawn"  # given up, with a reason; final


class Awaiting(StrEnum):
    """What a post waits for, kept with it so the queues are one index scan."""

    CHECK = "check"  # fewer checkers than the rules ask have signed off its content
    AGENCY_CHECK = "agency_check"  # a contractor's post, not yet checked by the agency
    APPROVAL = "approval"
    PUBLICATION = "publication"
    REVIEW = "review"  # published without the head's approval (range, emergency): to be reviewed


class Decision(StrEnum):
    """How a published post was decided (004 表13)."""

    APPROVED = "approved"  # the sign-offs the rules asked for: the approver's, or the checkers' where none
    PRE_APPROVED_RANGE = "pre_approved_range"  # within the range, by its checkers, reviewed afterwards
    NONE = "none"  # no decision on record (imported history)


class SignoffKind(StrEnum):
    CHECK = "check"
    APPROVAL = "approval"


class PostDeadline(StrEnum):
    PUBLICATION_OVERDUE = "post.publication_overdue"
    RANGE_REVIEW = "post.range_review"


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    author: Mapped[str]  # the label of who drafted it (a person's name is purged with the account's people)
    author_id: Mapped[uuid.UUID | None]
    source: Mapped[str]  # operator (a person) or system (an agency system's token)
    by_contractor: Mapped[bool] = mapped_column(default=False)
    state: Mapped[PostState] = state_column(PostState, default=PostState.DRAFT)
    awaiting: Mapped[Awaiting | None] = state_column(Awaiting, default=None)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    content_hash: Mapped[str] = mapped_column(default="")
    planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    emergency: Mapped[bool] = mapped_column(default=False)
    in_range: Mapped[bool] = mapped_column(default=False)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    blocking: Mapped[int] = mapped_column(default=0)
    # What the rules asked of it when last checked (kept so that reading a post reads no rules).
    checkers_required: Mapped[int] = mapped_column(default=1)
    approver_roles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    attested: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None]
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    published_url: Mapped[str | None]
    published_by: Mapped[str | None]
    decision: Mapped[Decision | None] = state_column(Decision, default=None)
    reason: Mapped[str | None]
    corrects_id: Mapped[uuid.UUID | None]
    corrected_by_id: Mapped[uuid.UUID | None]
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_id: Mapped[uuid.UUID | None]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Signoff(Base):
    """A check or an approval of one version of a post's content (its hash)."""

    __tablename__ = "post_signoffs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    post_id: Mapped[uuid.UUID]
    kind: Mapped[SignoffKind] = state_column(SignoffKind)
    user_id: Mapped[uuid.UUID | None]
    signed_by: Mapped[str]
    agency: Mapped[bool]  # by the agency's own staff (not a contractor)
    content_hash: Mapped[str]
    attested: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    note: Mapped[str] = mapped_column(default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PostReview(Base):
    """A unit head's look at the posts of their unit published without their approval."""

    __tablename__ = "post_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    reviewed_by: Mapped[str]
    reviewer_id: Mapped[uuid.UUID | None]
    note: Mapped[str] = mapped_column(default="")
    post_count: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
