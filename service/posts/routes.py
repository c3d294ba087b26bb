"""/v1/tenants/{tenant_id}/posts, /post-checks and /post-reviews: the post workflow."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from service.accounts.models import Account
from service.kit.access import Access, requires
from service.kit.context import Ctx
from service.kit.deps import provide_reader
from service.kit.http import (
    DEFAULT_LIMIT,
    ETAG_HEADER,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Page,
    after_id,
    encode_cursor,
    etag,
    id_page,
    problems,
    require_if_match,
)
from service.kit.i18n import Lang, negotiate
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission
from service.posts import checks, service
from service.posts.models import Awaiting, Post, PostReview, PostState, Signoff
from service.posts.schemas import (
    Approval,
    CheckCreate,
    CheckResult,
    Deletion,
    PostCheckRequest,
    PostContent,
    PostCreate,
    PostRead,
    Publication,
    ReasonGiven,
    ReviewCreate,
    ReviewRead,
    SignoffRead,
    Submission,
)

POST_ERRORS = (401, 403, 404, 409, 413, 415, 422)


def _lang(request: Request[Any, Any, Any]) -> Lang:
    return negotiate(request.headers.get("accept-language"))


def post_read(
    fields: Mapping[str, Any], lang: Lang, signoffs: Sequence[Signoff] = (), content_hash: str = ""
) -> PostRead:
    """The post as the API shows it, from its fields (`service.view_of`, or a row of the hot list)."""
    return PostRead(
        **{
            name: fields[name]
            for name in service.VIEW_FIELDS
            if name not in {"state", "awaiting", "approver_roles", "decision"}
        },
        state=str(fields["state"]),  # type: ignore[arg-type]
        awaiting=str(fields["awaiting"]) if fields["awaiting"] else None,  # type: ignore[arg-type]
        approver_roles=list(fields["approver_roles"]),
        decision=str(fields["decision"]) if fields["decision"] else None,  # type: ignore[arg-type]
        content=fields["content"],
        findings=[checks.render(f, lang) for f in fields["findings"]],
        signoffs=[
            SignoffRead(
                kind=s.kind.value,
                signed_by=s.signed_by,
                agency=s.agency,
                current=s.content_hash == content_hash,
                attested=list(s.attested),
                note=s.note,
                created_at=s.created_at,
            )
            for s in signoffs
        ],
    )


async def _answer(request: Request[Any, Any, Any], ctx: Ctx, post: Post, status_code: int = 200) -> Response[PostRead]:
    signoffs = await service.signoffs_of(ctx.session, post)
    body = post_read(service.view_of(post), _lang(request), signoffs, post.content_hash)
    return Response(body, status_code=status_code, headers={"ETag": etag(post.version)})


async def _act(
    request: Request[Any, Any, Any],
    ctx: Ctx,
    post_id: uuid.UUID,
    action: Callable[[Post, Account], Awaitable[None]],
) -> Response[PostRead]:
    """Lock the post (its account first), do one step of the workflow, answer the post."""
    row, account = await service.get_post(ctx, post_id, lock=True)
    await action(row, account)
    return await _answer(request, ctx, row)


class PostController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/posts"
    tags = ["Posts"]

    @post(
        "/",
        operation_id="createPost",
        summary="Draft a post for an official account (checked at once)",
        guards=[requires(Permission.POSTS_WRITE)],
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[PostCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostRead]:
        """Operators draft for the accounts they operate, contractors for their agreement's, agency
        systems through a token with `posts:write`. The answer lists the findings of the checks
        against the rules in force at `planned_at`; a draft may hold blocking findings, but it
        cannot be submitted until none is left."""

        async def run() -> Response[PostRead]:
            return await _answer(request, ctx, await service.create(ctx, data), 201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/",
        operation_id="listPosts",
        summary="Posts, in the order drafted; `needs` gives a queue",
        guards=[requires(Permission.ACCOUNTS_READ)],
        dependencies={"reader_tenant_id": Provide(provide_reader)},
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        request: Request[Any, Any, Any],
        state: State,
        access: NamedDependency[Access],
        reader_tenant_id: NamedDependency[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        state_filter: Annotated[PostState | None, QueryParameter(name="state")] = None,
        needs: Annotated[
            Awaiting | None,
            QueryParameter(
                description="A queue: posts waiting for this (check, agency_check, approval, publication, review), "
                "among those the caller acts on (a unit head: their units'; an operator: their accounts')."
            ),
        ] = None,
        account: FromQuery[uuid.UUID | None] = None,
        author: Annotated[uuid.UUID | None, QueryParameter(description="The author's user id.")] = None,
        unit: Annotated[uuid.UUID | None, QueryParameter(description="Posts of this unit's accounts.")] = None,
    ) -> Page[PostRead]:
        """Without sign-offs (read one post for them). The hot read: one statement on the driver."""
        filters = {
            "state": state_filter,
            "awaiting": needs,
            "account_id": account,
            "author_id": author,
            "unit_id": unit,
        }
        rows, more = await service.page_of_posts(
            state.db, access, state.clock, reader_tenant_id, filters, after_id(cursor), limit
        )
        lang = _lang(request)
        return Page(
            items=[post_read(row, lang) for row in rows],
            next_cursor=encode_cursor([str(rows[-1]["id"])]) if more else None,
        )

    @get(
        "/{post_id:uuid}",
        operation_id="getPost",
        summary="A post with its findings and sign-offs",
        guards=[requires(Permission.ACCOUNTS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self, request: Request[Any, Any, Any], ctx: NamedDependency[Ctx], post_id: FromPath[uuid.UUID]
    ) -> Response[PostRead]:
        row, _ = await service.get_post(ctx, post_id)
        return await _answer(request, ctx, row)

    @patch(
        "/{post_id:uuid}",
        operation_id="updatePost",
        summary="Replace a post's content (If-Match required); an edit voids its checks and approvals",
        guards=[requires(Permission.POSTS_WRITE)],
        responses=problems(*POST_ERRORS, 412, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[PostContent],
        if_match: IfMatch = None,
    ) -> Response[PostRead]:
        row, account = await service.get_post(ctx, post_id, lock=True)
        require_if_match(request, row.version)
        await service.edit(ctx, row, account, data)
        return await _answer(request, ctx, row)

    @post(
        "/{post_id:uuid}/submit",
        operation_id="submitPost",
        summary="Submit a draft for its checks and approval (the author checks it first)",
        guards=[requires(Permission.POSTS_WRITE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[Submission],
    ) -> Response[PostRead]:
        """Refused (422 `post-rules-broken`, each finding named) while a blocking finding is left.
        `attest` lists every prohibited-content category of the tenant: the author's word that the
        post holds none (the machine does not guess at them)."""
        return await _act(request, ctx, post_id, lambda row, account: service.submit(ctx, row, account, data.attest))

    @post(
        "/{post_id:uuid}/checks",
        operation_id="checkPost",
        summary="Check a submitted post, attesting to each prohibited-content category",
        guards=[requires(Permission.ACCOUNTS_READ)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[CheckCreate],
    ) -> Response[PostRead]:
        """Anyone who may post for the account or decide on its posts, once per content. A
        contractor's post also needs a check by the agency's own staff."""
        return await _act(
            request, ctx, post_id, lambda row, account: service.check(ctx, row, account, data.attest, data.note)
        )

    @post(
        "/{post_id:uuid}/approve",
        operation_id="approvePost",
        summary="Approve a checked post (the approver role; never the author)",
        guards=[requires(Permission.POSTS_DECIDE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def approve(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[Approval],
    ) -> Response[PostRead]:
        return await _act(request, ctx, post_id, lambda row, account: service.approve(ctx, row, account, data.note))

    @post(
        "/{post_id:uuid}/reject",
        operation_id="rejectPost",
        summary="Send a submitted post back, with the reason",
        guards=[requires(Permission.POSTS_DECIDE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def reject(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonGiven],
    ) -> Response[PostRead]:
        return await _act(request, ctx, post_id, lambda row, account: service.reject(ctx, row, account, data.reason))

    @post(
        "/{post_id:uuid}/withdraw",
        operation_id="withdrawPost",
        summary="Give up a post not yet published, with the reason",
        guards=[requires(Permission.POSTS_WRITE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[ReasonGiven],
    ) -> Response[PostRead]:
        return await _act(request, ctx, post_id, lambda row, account: service.withdraw(ctx, row, account, data.reason))

    @post(
        "/{post_id:uuid}/publish",
        operation_id="publishPost",
        summary="Record that an approved post was published (its URL and time)",
        guards=[requires(Permission.POSTS_WRITE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[Publication],
    ) -> Response[PostRead]:
        """The checks run again at `published_at` (hours included); a time later than now is refused.
        Where the tenant asks for a report after posting, the unit is told at once."""
        return await _act(request, ctx, post_id, lambda row, account: service.publish(ctx, row, account, data))

    @post(
        "/{post_id:uuid}/deletion",
        operation_id="recordPostDeletion",
        summary="Record that a published post was deleted from the platform",
        guards=[requires(Permission.POSTS_WRITE)],
        status_code=200,
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def deletion(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[Deletion],
    ) -> Response[PostRead]:
        return await _act(
            request, ctx, post_id, lambda row, account: service.record_deletion(ctx, row, account, data.deleted_at)
        )

    @post(
        "/{post_id:uuid}/corrections",
        operation_id="correctPost",
        summary="Draft a correction of a published post (a new post with its own checks)",
        guards=[requires(Permission.POSTS_WRITE)],
        responses=problems(*POST_ERRORS),
        response_headers=ETAG_HEADER,
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        post_id: FromPath[uuid.UUID],
        data: JSONBody[PostCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostRead]:
        async def run() -> Response[PostRead]:
            row, _ = await service.get_post(ctx, post_id, lock=True)
            return await _answer(request, ctx, await service.correct(ctx, row, data), 201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)


class PostCheckController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/post-checks"
    tags = ["Posts"]

    @post(
        "/",
        operation_id="checkPostContent",
        summary="Run the checks on a post's content without storing anything",
        guards=[requires(Permission.POSTS_WRITE)],
        dependencies={"reader_tenant_id": Provide(provide_reader)},
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        state: State,
        access: NamedDependency[Access],
        reader_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[PostCheckRequest],
    ) -> CheckResult:
        """For front ends that check as the operator types: the same findings a save would store,
        against the rules in force at `planned_at` (default now). One statement on the driver."""
        content = PostContent(**{name: getattr(data, name) for name in PostContent.__struct_fields__})
        found = await service.check_content(state.db, access, state.clock, reader_tenant_id, data.account_id, content)
        lang = _lang(request)
        return CheckResult(
            findings=[checks.render(f, lang) for f in found], blocking=sum(f.severity == "blocking" for f in found)
        )


def review_read(row: PostReview) -> ReviewRead:
    return ReviewRead(
        id=row.id,
        unit_id=row.unit_id,
        reviewed_by=row.reviewed_by,
        note=row.note,
        post_count=row.post_count,
        created_at=row.created_at,
    )


class PostReviewController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/post-reviews"
    tags = ["Posts"]

    @post(
        "/",
        operation_id="reviewPosts",
        summary="Record a unit head's review of the posts published without their approval",
        guards=[requires(Permission.POSTS_DECIDE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(self, ctx: NamedDependency[Ctx], data: JSONBody[ReviewCreate]) -> Response[ReviewRead]:
        """Every post of the unit waiting for review (`needs=review`) is marked reviewed by it."""
        return Response(review_read(await service.review(ctx, data.unit_id, data.note)), status_code=201)

    @get(
        "/",
        operation_id="listPostReviews",
        summary="Reviews of posts published without the head's approval, newest first",
        guards=[requires(Permission.ACCOUNTS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        unit: FromQuery[uuid.UUID | None] = None,
    ) -> Page[ReviewRead]:
        rows, more = await service.list_reviews(ctx, unit, after_id(cursor), limit)
        return id_page(rows, more, review_read)
