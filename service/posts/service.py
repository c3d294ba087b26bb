"""Posts: drafted for an official account, checked against the tenant's rules, signed off as the
rules ask, then published, and looked at again afterwards where the rules say so.

The rules come from the guideline configuration in force at the post's planned time
(`/posting`, `/interaction`). The checks (`checks.py`) run on every save, again at approval and at
publication. What a post waits for is kept with it (`awaiting`), recomputed after every step
(`_settle`), so each queue is one index scan:

- `check`: fewer people than the rules ask (`/posting/approval/checkers_required`, the author
  included; inside the pre-approved range `…/pre_approved_range/checkers_required`) have checked
  this content and attested, category by category, that it holds none of the prohibited content;
- `agency_check`: a contractor's post that no agency staff member has checked (愛媛県 第2の3(2)オ);
- `approval`: the approver role's sign-off (`/posting/approval/approver_role`, or for an
  exceptional repost `/interaction/reposts/exception_approver_role`), never the author's own;
- `publication`: approved (or checked, where no approval is needed) and not yet published;
- `review`: published without the head's approval (inside the pre-approved range, or as an
  emergency out of hours), until the unit head's periodic review records it.

Sign-offs are bound to the content's hash: an edit voids them, and an approved post edited is a
draft again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import PeoplePurged
from service.accounts.models import IN_SERVICE, Account
from service.closures.hooks import StepConfirming
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.kit.access import Access, outside_scope
from service.kit.calendar import add_months
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.db import Database
from service.kit.errors import FieldError, Msg, ProblemError, conflict, not_found, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import TENANT_WIDE, Permission, Role
from service.posts import checks
from service.posts import repository as posts_repository
from service.posts.models import Awaiting, Decision, Post, PostDeadline, PostReview, PostState, Signoff, SignoffKind
from service.posts.repository import PostsRepository, ReviewsRepository, SignoffsRepository
from service.posts.schemas import PostContent, PostCreate, Publication
from service.tenants.service import get_unit, tenant_of

# An approved post not published by its planned time plus this is reminded to its author and unit.
PUBLICATION_GRACE = dt.timedelta(hours=2)
# How often a unit head looks at the posts published without their approval, where the tenant
# names no interval (`/posting/approval/pre_approved_range/review_every_months`).
DEFAULT_REVIEW_MONTHS = 1
# Where a closure step asks that the posts be deleted (北海道教育委員会 3(8)).
DELETION_STEP = "delete_posts_and_comments"
EDITABLE = frozenset({PostState.DRAFT, PostState.SUBMITTED, PostState.APPROVED, PostState.REJECTED})


# ---- the rules ----------------------------------------------------------------------------------------


def content_hash(content: PostContent) -> str:
    return hashlib.sha256(msgspec.json.encode(content)).hexdigest()


def content_of(post: Post) -> PostContent:
    return msgspec.convert(post.content, PostContent)


def _approval(document: Mapping[str, Any]) -> Mapping[str, Any]:
    approval: Mapping[str, Any] = document.get("posting", {}).get("approval", {})
    return approval


def _range(document: Mapping[str, Any]) -> Mapping[str, Any]:
    pre_approved: Mapping[str, Any] = _approval(document).get("pre_approved_range") or {}
    return pre_approved


def prohibited_categories(document: Mapping[str, Any]) -> list[str]:
    return list(document.get("posting", {}).get("prohibited_content", {}).get("categories", []))


def checkers_required(document: Mapping[str, Any], post: Post) -> int:
    rule = _range(document) if post.in_range else _approval(document)
    return max(1, int(rule.get("checkers_required") or 1))


def approver_roles(document: Mapping[str, Any], post: Post) -> list[str]:
    """Who must approve the post: none within the range, else the configuration's approver role, and
    for a repost the rules allow only by exception, the role that decides it."""
    roles: list[str] = []
    approval = _approval(document)
    if approval.get("required") and not post.in_range and approval.get("approver_role"):
        roles.append(str(approval["approver_role"]))
    for found in post.findings:
        if found.get("code") == "repost_exception" and found.get("params", {}).get("role"):
            roles.append(str(found["params"]["role"]))
    return sorted(set(roles))


async def rules_at(session: AsyncSession, tenant_id: uuid.UUID, at: dt.datetime) -> tuple[dict[str, Any], ZoneInfo]:
    """The configuration in force at `at` (in the tenant's time zone), and that zone."""
    tenant = await tenant_of(session, tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    _, document = await guidelines.in_force_on(session, tenant_id, at.astimezone(zone).date())
    if document is None:
        raise conflict("conflict.post-no-configuration")
    return document, zone


async def run_checks(
    session: AsyncSession, account: Account, content: PostContent, at: dt.datetime
) -> tuple[list[checks.Found], dict[str, Any]]:
    document, zone = await rules_at(session, account.tenant_id, at)
    return checks.check(content, document, platform=account.platform, at=at, time_zone=zone), document


def _store_findings(post: Post, found: list[checks.Found], document: Mapping[str, Any]) -> None:
    """Keep what the checks found and what the rules ask of the post now (how many checkers, whose
    approval), so that reading it needs no rules."""
    post.findings = [msgspec.to_builtins(f) for f in found]
    post.blocking = sum(1 for f in found if f.severity == "blocking")
    post.checkers_required = checkers_required(document, post)
    post.approver_roles = approver_roles(document, post)


def stored_findings(post: Post) -> list[checks.Found]:
    return [msgspec.convert(f, checks.Found) for f in post.findings]


def _refuse_blocking(found: list[checks.Found]) -> None:
    blocking = [f for f in found if f.severity == "blocking"]
    if blocking:
        raise ProblemError(
            "post-rules-broken",
            Msg("detail.post-rules-broken", {"count": len(blocking)}),
            errors=[
                FieldError(Msg(f"post.check.{f.code}", dict(f.params)), f.code, f.pointer if f.pointer else "")
                for f in blocking
            ],
            extensions={
                "findings": [
                    {
                        "code": f.code,
                        "rule": f.rule,
                        "basis": list(f.basis),
                        "severity": f.severity,
                        "pointer": f.pointer,
                        "start": f.start,
                        "end": f.end,
                        "message": Msg(f"post.check.{f.code}", dict(f.params)),
                    }
                    for f in blocking
                ]
            },
        )


def _wrong_state(post: Post, action: str) -> ProblemError:
    return ProblemError(
        "conflict",
        Msg("conflict.post-state", {"state": post.state.value, "action": action}),
        extensions={
            "reason": "post-state",
            "current_state": post.state.value,
            "awaiting": post.awaiting.value if post.awaiting else None,
        },
    )


# ---- reading -------------------------------------------------------------------------------------------


async def get_post(ctx: Ctx, post_id: uuid.UUID, *, lock: bool = False) -> tuple[Post, Account]:
    """The post and its account, if the caller may read the account (a contractor: only their
    agreement's accounts' posts exist). Locks account then post, the order every writer keeps."""
    row = await PostsRepository(ctx.session, ctx.tenant_id).get_or_404(post_id)
    try:
        account = await accounts.get(ctx, row.account_id, lock=lock)
    except ProblemError as exc:
        if exc.problem == "not-found":
            raise not_found("post") from exc
        raise
    if lock:
        row = await PostsRepository(ctx.session, ctx.tenant_id).get_or_404(post_id, lock=True)
    return row, account


async def signoffs_of(session: AsyncSession, post: Post) -> list[Signoff]:
    return await SignoffsRepository(session, post.tenant_id).of_post(post.id)


async def list_posts(
    ctx: Ctx, filters: Mapping[str, Any], after: uuid.UUID | None, limit: int
) -> tuple[list[Post], bool]:
    """A page of the tenant's posts. `needs` (check, agency_check, approval, publication, review) is
    a queue: what waits for that, among the posts the caller can act on (a unit head: their units';
    an operator: their accounts'; a contractor: their agreement's)."""
    scope = await ctx.access.scope()
    accounts_within: frozenset[uuid.UUID] | None = None
    units_within: frozenset[uuid.UUID] | None = None
    if scope.confined and not scope.everything:
        accounts_within = scope.account_ids
    elif filters.get("awaiting") is not None and not scope.everything:
        # A queue is what the caller can act on: their units' and their own accounts'.
        if scope.unit_ids and not scope.account_ids:
            units_within = scope.unit_ids
        elif scope.account_ids and not scope.unit_ids:
            accounts_within = scope.account_ids
        elif scope.unit_ids and scope.account_ids:
            units_within = scope.unit_ids  # a head who also operates: their units (operated accounts mostly lie there)
        else:
            accounts_within = frozenset()
    return await PostsRepository(ctx.session, ctx.tenant_id).page(
        filters, accounts=accounts_within, units=units_within, after=after, limit=limit
    )


# ---- drafting ------------------------------------------------------------------------------------------


def _author_fields(ctx: Ctx) -> dict[str, Any]:
    principal = ctx.principal
    return {
        "author": principal.label,
        "author_id": principal.id if principal.kind == "user" else None,
        "source": "system" if principal.kind == "api_token" else "operator",
        "by_contractor": Role.CONTRACTOR in principal.roles,
    }


async def _check_range(ctx: Ctx, account: Account, document: Mapping[str, Any]) -> None:
    """A post inside the pre-approved range: only where the tenant allows one, and, where the range
    must be written in the usage policy (愛媛県 第2の7(3)ウ), only for an account that has one."""
    rule = _range(document)
    if not rule.get("allowed"):
        raise validation_failed([FieldError(Msg("post.range-not-allowed"), "range_not_allowed", "/in_range")])
    if rule.get("must_be_in_usage_policy"):
        documents = await accounts.documents_of(ctx.session, account)
        if "usage_policy" not in documents:
            raise validation_failed([FieldError(Msg("post.range-without-policy"), "range_without_policy", "/in_range")])


async def create(ctx: Ctx, data: PostCreate, *, corrects: Post | None = None) -> Post:
    account = await accounts.get(ctx, data.account_id, lock=True, permission=Permission.POSTS_WRITE)
    if account.status not in IN_SERVICE:
        raise conflict("conflict.post-account-not-in-service", status=account.status)
    content = data.content()
    now = ctx.now()
    found, document = await run_checks(ctx.session, account, content, content.planned_at or now)
    if data.in_range:
        await _check_range(ctx, account, document)
    post = Post(
        id=uuid7(),
        tenant_id=ctx.tenant_id,
        account_id=account.id,
        **_author_fields(ctx),
        state=PostState.DRAFT,
        awaiting=None,
        content=msgspec.to_builtins(content),
        content_hash=content_hash(content),
        planned_at=content.planned_at,
        emergency=content.emergency,
        in_range=data.in_range,
        attested=[],
        corrects_id=corrects.id if corrects is not None else None,
        created_at=now,
        updated_at=now,
    )
    _store_findings(post, found, document)
    PostsRepository(ctx.session, ctx.tenant_id).add(post)
    await ctx.session.flush()
    return post


async def edit(ctx: Ctx, post: Post, account: Account, content: PostContent) -> None:
    """Replace the content. Changed content voids every sign-off: a submitted, approved or rejected
    post is a draft again."""
    await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state not in EDITABLE:
        raise _wrong_state(post, "update")
    now = ctx.now()
    found, document = await run_checks(ctx.session, account, content, content.planned_at or now)
    digest = content_hash(content)
    if digest != post.content_hash:
        post.content, post.content_hash = msgspec.to_builtins(content), digest
        post.planned_at, post.emergency = content.planned_at, content.emergency
        if post.state != PostState.DRAFT:
            post.state, post.awaiting, post.approved_at, post.approved_by = PostState.DRAFT, None, None, None
            post.attested = []
            await _cancel_overdue(ctx.session, post, now)
    _store_findings(post, found, document)
    post.updated_at = now
    await ctx.session.flush()


# ---- signing off -----------------------------------------------------------------------------------------


def _attestation(document: Mapping[str, Any], attest: list[str]) -> list[str]:
    """The checker attests, for each prohibited category of the tenant, that the post holds none."""
    wanted = prohibited_categories(document)
    missing = [c for c in wanted if c not in attest]
    extra = [c for c in attest if c not in wanted]
    errors = [
        FieldError(Msg("post.attest-missing", {"category": c}), "attestation_missing", "/attest") for c in missing
    ] + [FieldError(Msg("post.attest-unknown", {"category": c}), "attestation_unknown", "/attest") for c in extra]
    if errors:
        raise validation_failed(errors)
    return wanted


async def _sign(ctx: Ctx, post: Post, kind: SignoffKind, attested: list[str], note: str) -> None:
    principal = ctx.principal
    SignoffsRepository(ctx.session, ctx.tenant_id).add(
        Signoff(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            post_id=post.id,
            kind=kind,
            user_id=principal.id if principal.kind == "user" else None,
            signed_by=principal.label,
            agency=Role.CONTRACTOR not in principal.roles,
            content_hash=post.content_hash,
            attested=attested,
            note=note,
            created_at=ctx.now(),
        )
    )
    await ctx.session.flush()


async def _settle(ctx: Ctx, post: Post, account: Account, document: Mapping[str, Any]) -> None:
    """What the submitted post waits for now; approved once nothing but publication is left."""
    signoffs = await SignoffsRepository(ctx.session, ctx.tenant_id).current(post)
    checkers = {s.user_id or s.signed_by for s in signoffs if s.kind == SignoffKind.CHECK}
    approved = any(s.kind == SignoffKind.APPROVAL for s in signoffs)
    if len(checkers) < checkers_required(document, post):
        post.awaiting = Awaiting.CHECK
    elif post.by_contractor and not any(s.agency for s in signoffs if s.kind == SignoffKind.CHECK):
        post.awaiting = Awaiting.AGENCY_CHECK
    elif approver_roles(document, post) and not approved:
        post.awaiting = Awaiting.APPROVAL
    else:
        now = ctx.now()
        post.state, post.awaiting, post.approved_at = PostState.APPROVED, Awaiting.PUBLICATION, now
        await schedule(
            ctx.session,
            tenant_id=ctx.tenant_id,
            kind=PostDeadline.PUBLICATION_OVERDUE,
            subject_kind="post",
            subject_id=str(post.id),
            due_at=max(post.planned_at or now, now) + PUBLICATION_GRACE,
            dedupe_key=f"overdue:{post.content_hash}",
            now=now,
        )
        await _event(ctx.session, post, account, "post.approved", now, approved_by=post.approved_by or "-")
    await ctx.session.flush()


async def submit(ctx: Ctx, post: Post, account: Account, attest: list[str]) -> None:
    """The author sends the draft for its checks and approvals, checking it themselves first (the
    author counts among the checkers)."""
    await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state != PostState.DRAFT:
        raise _wrong_state(post, "submit")
    content, now = content_of(post), ctx.now()
    found, document = await run_checks(ctx.session, account, content, post.planned_at or now)
    _store_findings(post, found, document)
    _refuse_blocking(found)
    post.state, post.submitted_at, post.updated_at, post.reason = PostState.SUBMITTED, now, now, None
    if Role.AGENCY_SYSTEM not in ctx.principal.roles:
        # A system's word is no check: its posts wait for people to check them.
        post.attested = _attestation(document, attest)
        await _sign(ctx, post, SignoffKind.CHECK, post.attested, "")
    await _event(ctx.session, post, account, "post.submitted", now)
    await _settle(ctx, post, account, document)


async def check(ctx: Ctx, post: Post, account: Account, attest: list[str], note: str) -> None:
    """Someone who may post for the account checks the content and attests to it."""
    _people_only(ctx)
    if not (await ctx.access.may(Permission.POSTS_WRITE, on=account)) and not (
        await ctx.access.may(Permission.POSTS_DECIDE, on=account)
    ):
        await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state != PostState.SUBMITTED or post.awaiting not in {Awaiting.CHECK, Awaiting.AGENCY_CHECK}:
        raise _wrong_state(post, "check")
    signoffs = SignoffsRepository(ctx.session, ctx.tenant_id)
    if await signoffs.checked_by(post, ctx.principal.id if ctx.principal.kind == "user" else None, ctx.principal.label):
        raise conflict("conflict.post-already-checked")
    document, _ = await rules_at(ctx.session, ctx.tenant_id, post.planned_at or ctx.now())
    await _sign(ctx, post, SignoffKind.CHECK, _attestation(document, attest), note)
    post.updated_at = ctx.now()
    await _settle(ctx, post, account, document)


def _people_only(ctx: Ctx) -> None:
    """Checks and decisions are people's: an agency system's token drafts and records, no more."""
    if Role.AGENCY_SYSTEM in ctx.principal.roles:
        raise ProblemError("forbidden", Msg("detail.post-people-only"), extensions={"reason": "people-only"})


async def _require_approver(ctx: Ctx, post: Post, account: Account, roles: list[str]) -> None:
    _people_only(ctx)
    if post.author_id is not None and post.author_id == ctx.principal.id:
        raise ProblemError("forbidden", Msg("detail.post-own"), extensions={"reason": "own-post"})
    await ctx.access.require(Permission.POSTS_DECIDE)
    await ctx.access.require_role(
        [Role(r) for r in roles],
        on=account,
        reason="post-approver",
        message=Msg("detail.post-approver", {"roles": ", ".join(roles)}),
        extensions={"approver_roles": roles},
    )


async def approve(ctx: Ctx, post: Post, account: Account, note: str) -> None:
    if post.state != PostState.SUBMITTED or post.awaiting != Awaiting.APPROVAL:
        raise _wrong_state(post, "approve")
    now = ctx.now()
    found, document = await run_checks(ctx.session, account, content_of(post), post.planned_at or now)
    await _require_approver(ctx, post, account, approver_roles(document, post))
    _store_findings(post, found, document)
    _refuse_blocking(found)
    post.approved_by = ctx.principal.label
    await _sign(ctx, post, SignoffKind.APPROVAL, [], note)
    post.updated_at = now
    await _settle(ctx, post, account, document)


async def reject(ctx: Ctx, post: Post, account: Account, reason: str) -> None:
    if post.state != PostState.SUBMITTED:
        raise _wrong_state(post, "reject")
    document, _ = await rules_at(ctx.session, ctx.tenant_id, post.planned_at or ctx.now())
    roles = approver_roles(document, post) or [Role.UNIT_HEAD.value]
    await _require_approver(ctx, post, account, roles)
    now = ctx.now()
    post.state, post.awaiting, post.reason, post.updated_at = PostState.REJECTED, None, reason, now
    await ctx.session.flush()
    await _event(ctx.session, post, account, "post.rejected", now, reason=reason)


async def withdraw(ctx: Ctx, post: Post, account: Account, reason: str) -> None:
    await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state not in EDITABLE:
        raise _wrong_state(post, "withdraw")
    now = ctx.now()
    post.state, post.awaiting, post.reason, post.updated_at = PostState.WITHDRAWN, None, reason, now
    await _cancel_overdue(ctx.session, post, now)
    await ctx.session.flush()
    await _event(ctx.session, post, account, "post.withdrawn", now, reason=reason)


# ---- publication and after ---------------------------------------------------------------------------


async def publish(ctx: Ctx, post: Post, account: Account, data: Publication) -> None:
    """Record the publication (by the operator, or the agency's publishing tool). The checks run once
    more at the moment it went out: hours included."""
    await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state != PostState.APPROVED:
        raise _wrong_state(post, "publish")
    if account.status not in IN_SERVICE:
        raise conflict("conflict.post-account-not-in-service", status=account.status)
    now = ctx.now()
    published_at = data.published_at or now
    if published_at > now:
        raise validation_failed([FieldError(Msg("post.published-in-future"), "future", "/published_at")])
    found, document = await run_checks(ctx.session, account, content_of(post), published_at)
    _store_findings(post, found, document)
    _refuse_blocking(found)
    emergency = any(f.code == "emergency_out_of_hours" for f in found)
    post.state, post.published_at, post.published_url = PostState.PUBLISHED, published_at, data.url
    post.decision = Decision.PRE_APPROVED_RANGE if post.in_range else Decision.APPROVED
    post.published_by, post.updated_at = ctx.principal.label, now
    post.awaiting = Awaiting.REVIEW if (post.in_range or emergency) else None
    await _cancel_overdue(ctx.session, post, now)
    if post.corrects_id is not None:
        original = await PostsRepository(ctx.session, ctx.tenant_id).get(post.corrects_id)
        if original is not None:
            original.corrected_by_id, original.updated_at = post.id, now
    await ctx.session.flush()
    await accounts.record_post_time(ctx.session, account, published_at, ctx.clock)
    text_excerpt = content_of(post).text[:200]
    await _event(
        ctx.session, post, account, "post.published", now,
        published_at=published_at.isoformat(), url=data.url or "", excerpt=text_excerpt,
        reported=bool(_approval(document).get("report_after_posting")),
    )  # fmt: skip
    if emergency:
        await _event(ctx.session, post, account, "post.emergency_published", now,
                     reason=content_of(post).emergency_reason or "", published_at=published_at.isoformat())  # fmt: skip
    if post.awaiting == Awaiting.REVIEW and account.unit_id is not None:
        await _schedule_review(ctx.session, account.tenant_id, account.unit_id, document, now)


async def record_deletion(ctx: Ctx, post: Post, account: Account, deleted_at: dt.datetime | None) -> None:
    """The published post was deleted from the platform (when closing, or by correction)."""
    await ctx.access.require(Permission.POSTS_WRITE, on=account)
    if post.state != PostState.PUBLISHED or post.deleted_at is not None:
        raise _wrong_state(post, "record_deletion")
    now = ctx.now()
    when = deleted_at or now
    if when > now:
        raise validation_failed([FieldError(Msg("post.published-in-future"), "future", "/deleted_at")])
    post.deleted_at, post.updated_at = when, now
    await ctx.session.flush()


async def correct(ctx: Ctx, post: Post, data: PostCreate) -> Post:
    """A correction of a published post (上尾市 4(3)ウ): a new post, with its own checks and
    sign-offs, that names the one it corrects."""
    if post.state != PostState.PUBLISHED:
        raise _wrong_state(post, "correct")
    if data.account_id != post.account_id:
        raise validation_failed([FieldError(Msg("post.correction-other-account"), "other_account", "/account_id")])
    return await create(ctx, data, corrects=post)


# ---- reviews of what went out without the head ----------------------------------------------------------


def review_months(document: Mapping[str, Any]) -> int:
    return int(_range(document).get("review_every_months") or DEFAULT_REVIEW_MONTHS)


async def _schedule_review(
    session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID, document: Mapping[str, Any], now: dt.datetime
) -> None:
    last = await ReviewsRepository(session, tenant_id).last_of_unit(unit_id)
    since = last.created_at if last is not None else now
    due = since
    while due <= now:
        due = dt.datetime.combine(add_months(due.date(), review_months(document)), due.timetz())
    await schedule(
        session,
        tenant_id=tenant_id,
        kind=PostDeadline.RANGE_REVIEW,
        subject_kind="unit",
        subject_id=str(unit_id),
        due_at=due,
        dedupe_key=f"review:{since.isoformat()}",
        now=now,
    )


async def review(ctx: Ctx, unit_id: uuid.UUID, note: str) -> PostReview:
    """The unit head looks at the posts published without their approval and records it: each of
    them leaves the review queue."""
    unit = await get_unit(ctx, unit_id, pointer="/unit_id")
    document, _ = await rules_at(ctx.session, ctx.tenant_id, ctx.now())
    role = _range(document).get("periodic_review_by") or Role.UNIT_HEAD.value
    await ctx.access.require(Permission.POSTS_DECIDE)
    await ctx.access.require_role(
        [Role(role)],
        on=unit,
        reason="post-reviewer",
        message=Msg("detail.post-reviewer", {"roles": role}),
        extensions={"reviewer_roles": [role]},
    )
    posts = PostsRepository(ctx.session, ctx.tenant_id)
    waiting = await posts.to_review(unit_id)
    now = ctx.now()
    row = ReviewsRepository(ctx.session, ctx.tenant_id).add(
        PostReview(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            unit_id=unit_id,
            reviewed_by=ctx.principal.label,
            reviewer_id=ctx.principal.id if ctx.principal.kind == "user" else None,
            note=note,
            post_count=len(waiting),
            created_at=now,
        )
    )
    await ctx.session.flush()
    await posts.mark_reviewed([p.id for p in waiting], row.id)
    await cancel(ctx.session, tenant_id=ctx.tenant_id, subject_kind="unit", subject_id=str(unit_id), now=now,
                 kinds=(PostDeadline.RANGE_REVIEW,))  # fmt: skip
    return row


async def list_reviews(
    ctx: Ctx, unit_id: uuid.UUID | None, before: uuid.UUID | None, limit: int
) -> tuple[list[PostReview], bool]:
    scope = await ctx.access.scope()
    units = None if scope.everything or not scope.unit_ids else scope.unit_ids
    return await ReviewsRepository(ctx.session, ctx.tenant_id).newest_first(unit_id, units, before, limit)


async def to_review(ctx: Ctx, unit_id: uuid.UUID) -> list[Post]:
    return await PostsRepository(ctx.session, ctx.tenant_id).to_review(unit_id)


# ---- the workers' part ------------------------------------------------------------------------------------


async def _cancel_overdue(session: AsyncSession, post: Post, now: dt.datetime) -> None:
    await cancel(session, tenant_id=post.tenant_id, subject_kind="post", subject_id=str(post.id), now=now,
                 kinds=(PostDeadline.PUBLICATION_OVERDUE,))  # fmt: skip


async def publication_overdue(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    post = await PostsRepository(session, deadline.tenant_id).get(uuid.UUID(deadline.subject_id), for_update=True)
    if post is None or post.state != PostState.APPROVED:
        return  # published, withdrawn or edited since
    account = await accounts.get_account(session, post.tenant_id, post.account_id)
    await _event(session, post, account, "post.publication_overdue", now,
                 planned_at=(post.planned_at or post.approved_at or now).isoformat())  # fmt: skip


async def review_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    unit_id = uuid.UUID(deadline.subject_id)
    waiting = await PostsRepository(session, deadline.tenant_id).to_review(unit_id)
    if not waiting:
        return
    await emit(
        session,
        tenant_id=deadline.tenant_id,
        type="post.review_due",
        subject_kind="unit",
        subject_id=str(unit_id),
        data={
            "unit_id": str(unit_id),
            "count": len(waiting),
            "since": waiting[0].published_at.isoformat() if waiting[0].published_at else "",
        },
        now=now,
    )
    document, _ = await rules_at(session, deadline.tenant_id, now)
    # Remind again after another interval while the posts wait.
    await schedule(
        session,
        tenant_id=deadline.tenant_id,
        kind=PostDeadline.RANGE_REVIEW,
        subject_kind="unit",
        subject_id=str(unit_id),
        due_at=dt.datetime.combine(add_months(now.date(), review_months(document)), now.timetz()),
        dedupe_key=f"review:{now.isoformat()}",
        now=now,
    )


async def _event(session: AsyncSession, post: Post, account: Account, kind: str, now: dt.datetime, **data: Any) -> None:
    await emit(
        session,
        tenant_id=post.tenant_id,
        type=kind,
        subject_kind="post",
        subject_id=str(post.id),
        data={
            "post_id": str(post.id),
            "account_id": str(account.id),
            "unit_id": str(account.unit_id) if account.unit_id else "",
            "author_id": str(post.author_id) if post.author_id else "",
            "subject_label": account.display_name,
            **data,
        },
        now=now,
    )


# ---- reactions to other domains' facts ----------------------------------------------------------------


async def refuse_deletion_step_while_posts_live(fact: StepConfirming) -> None:
    """The closure step "delete the posts" is confirmed against the post list: not while a
    published post of the account is not recorded as deleted."""
    if fact.step != DELETION_STEP:
        return
    live = await PostsRepository(fact.session, fact.account.tenant_id).live_of_account(fact.account.id)
    if live:
        raise ProblemError(
            "conflict",
            Msg("conflict.posts-not-deleted", {"count": len(live)}),
            extensions={"reason": "posts-not-deleted", "post_ids": [str(p.id) for p in live]},
        )


async def forget_people(fact: PeoplePurged) -> None:
    await PostsRepository(fact.session, fact.account.tenant_id).forget_people(fact.account.id, fact.marker)


# ---- the hot paths: the queue and the check as the operator types (no ORM, no transaction) ----------

# Configuration documents by (tenant, version): versions are never changed once recorded.
_DOCUMENTS: OrderedDict[tuple[uuid.UUID, int], dict[str, Any]] = OrderedDict()
_DOCUMENTS_KEPT = 256
_FOUND = msgspec.json.Decoder(list[checks.Found])
# Findings of recent checks, by what they depend on (see `check_content`).
_CHECKED: OrderedDict[bytes, list[checks.Found]] = OrderedDict()
_CHECKED_KEPT = 1024
_CONTENT = msgspec.json.Decoder(PostContent)


async def _document(db: Database, tenant_id: uuid.UUID, version: int) -> dict[str, Any]:
    key = (tenant_id, version)
    document = _DOCUMENTS.get(key)
    if document is None:
        document = await posts_repository.guideline_document(db, tenant_id, version)
        _DOCUMENTS[key] = document
        while len(_DOCUMENTS) > _DOCUMENTS_KEPT:
            _DOCUMENTS.popitem(last=False)
    return document


def _reach(access: Access) -> tuple[uuid.UUID | None, uuid.UUID | None, bool]:
    """(the unit the caller heads, the caller as an operator, whether they reach the whole tenant)."""
    principal = access.principal
    if access.system or principal.roles & TENANT_WIDE:
        return None, None, True
    head = principal.unit_id if Role.UNIT_HEAD in principal.roles else None
    operator = principal.id if Role.OPERATOR in principal.roles and principal.kind == "user" else None
    return head, operator, False


def view_of(post: Post) -> dict[str, Any]:
    """A post's fields as the API shows them (from the ORM)."""
    fields = {name: getattr(post, name) for name in VIEW_FIELDS}
    fields["content"], fields["findings"] = content_of(post), stored_findings(post)
    return fields


def _view_of_row(row: Any) -> dict[str, Any]:
    fields = {name: row[name] for name in VIEW_FIELDS}
    fields["content"], fields["findings"] = _CONTENT.decode(row["content"]), _FOUND.decode(row["findings"])
    return fields


VIEW_FIELDS = (
    "id", "account_id", "state", "awaiting", "blocking", "checkers_required", "approver_roles", "in_range",
    "by_contractor", "author", "source", "submitted_at", "approved_at", "approved_by", "published_at",
    "published_url", "published_by", "decision", "deleted_at", "reason", "corrects_id", "corrected_by_id", "review_id",
    "created_at", "updated_at", "version",
)  # fmt: skip


async def page_of_posts(
    db: Database, access: Access, clock: Clock, tenant_id: uuid.UUID, filters: Mapping[str, Any],
    after: uuid.UUID | None, limit: int,
) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
    """The list and its queues, as `list_posts` answers them, on one statement. A confined caller (a
    contractor) takes the ordinary way: their reach is their agreement's accounts."""
    scope_needed = access.needs_standing
    head, operator, whole = _reach(access)
    if scope_needed:
        async with db.unit_of_work() as session:
            await access.enter(session, tenant_id, clock)
            rows, more = await list_posts(Ctx(session, tenant_id, clock, access), filters, after, limit)
            return [view_of(row) for row in rows], more
    if whole or filters.get("awaiting") is None:
        head = operator = None  # staff read the whole tenant; a queue is what the caller acts on
    elif head is None and operator is None:
        return [], False
    found = await posts_repository.post_page(
        db, tenant_id, filters, head_unit=head, operator=operator, after=after, limit=limit + 1
    )
    return [_view_of_row(row) for row in found[:limit]], len(found) > limit


async def check_content(
    db: Database, access: Access, clock: Clock, tenant_id: uuid.UUID, account_id: uuid.UUID, content: PostContent
) -> list[checks.Found]:
    """The checks on a body, stored nowhere: for front ends that check as the operator types. The
    caller must be able to post for the account (404 for an account they cannot see)."""
    at = content.planned_at or clock.now()
    if access.needs_standing:
        async with db.unit_of_work() as session:
            await access.enter(session, tenant_id, clock)
            ctx = Ctx(session, tenant_id, clock, access)
            account = await accounts.get(ctx, account_id, permission=Permission.POSTS_WRITE)
            found, _ = await run_checks(session, account, content, at)
            return found
    head, operator, whole = _reach(access)
    context = await posts_repository.post_context(db, tenant_id, account_id, operator=operator, head_unit=head, at=at)
    if context is None:
        raise not_found("account", "/account_id")
    if not (whole or context["operates"] or context["heads"]):
        raise outside_scope()
    if context["version"] is None:
        raise conflict("conflict.post-no-configuration")
    # The same draft is checked again and again (each save, approval, publication, and a front end's
    # re-checks): the checks are a function of the content, the configuration version, the platform
    # and the minute in the tenant's zone (nothing finer counts), so their answer is kept by those.
    minute = at.astimezone(ZoneInfo(context["time_zone"])).replace(second=0, microsecond=0)
    key = hashlib.blake2b(
        msgspec.json.encode((str(tenant_id), context["version"], context["platform"], minute.isoformat(), content)),
        digest_size=16,
    ).digest()
    known = _CHECKED.get(key)
    if known is None:
        document = await _document(db, tenant_id, context["version"])
        zone = ZoneInfo(context["time_zone"])
        known = checks.check(content, document, platform=context["platform"], at=at, time_zone=zone)
        _CHECKED[key] = known
        while len(_CHECKED) > _CHECKED_KEPT:
            _CHECKED.popitem(last=False)
    return known


# ---- history brought in (imports) --------------------------------------------------------------------


async def record_published(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, dt.datetime, str | None, Decision, str]],
    author: str,
    now: dt.datetime,
) -> int:
    """Posts an agency published before Koshiki, as its records have them (account, time, URL, how
    the post was decided, its text), set-based; one already recorded (the same account, time and
    URL) is left as it is. How many were new. The accounts' last post is the caller's to keep."""
    unique = {(account_id, at, url): (decision, body) for account_id, at, url, decision, body in rows}
    prepared = [(uuid7(), a, at, url, str(d), body) for (a, at, url), (d, body) in unique.items()]
    return await posts_repository.insert_published(session, tenant_id, prepared, author, now)
