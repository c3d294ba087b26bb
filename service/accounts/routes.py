"""/v1/tenants/{tenant_id}/accounts: the register, seen from inside the tenant."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service
from service.accounts.models import Account, AccountDocument, ImpersonationWarning, Post
from service.accounts.schemas import (
    AccountCreate,
    AccountDetail,
    AccountRead,
    AccountUpdate,
    DocumentKind,
    DocumentRead,
    DocumentWrite,
    OperatingBody,
    Platform,
    PostCreate,
    PostRead,
    Readiness,
    Reason,
    Status,
    Unmet,
    WarningCreate,
    WarningRead,
)
from service.audit.service import record
from service.kit.access import check_standing
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.db import Database, set_tenant
from service.kit.errors import not_found
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
from service.kit.i18n import negotiate
from service.kit.idempotency import idempotent
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.monitoring import service as monitoring


async def detail(session: AsyncSession, account: Account) -> AccountDetail:
    operators = await service.operator_ids(session, account.id)
    return msgspec.convert({**_columns(account), "operator_ids": operators}, AccountDetail)


def _columns(account: Account) -> dict[str, Any]:
    return {c: getattr(account, c) for c in AccountRead.__struct_fields__}


async def _detail_response(session: AsyncSession, account: Account, status_code: int = 200) -> Response[AccountDetail]:
    return Response(await detail(session, account), status_code=status_code, headers={"ETag": etag(account.version)})


async def provide_reader(
    request: Request[Any, Any, Any], tenant_id: FromPath[uuid.UUID], principal: NamedDependency[Principal], state: State
) -> uuid.UUID:
    """The fast path's tenant check: no transaction is opened for it. Callers reach only their own
    tenant (a platform operator any); a contractor's standing still needs the database."""
    if not principal.is_platform and principal.tenant_id != tenant_id:
        raise not_found("tenant")
    if Role.CONTRACTOR in principal.roles:
        db: Database = state.db
        async with db.unit_of_work() as session:
            await set_tenant(session, tenant_id)
            await check_standing(session, principal, state.clock, request)
    return tenant_id


# The columns of AccountRead, in its order, so each row is the JSON of one AccountRead.
_COLUMNS = ", ".join(AccountRead.__struct_fields__)
_PAGE = f"SELECT {_COLUMNS} FROM koshiki_account_page($1, $2, $3, $4, $5, $6, $7, $8)"  # noqa: S608 - our own names
# The same page for a contractor, within the accounts of their agreement.
_COVERED_PAGE = text(
    f"""
    SELECT {_COLUMNS} FROM accounts a
     WHERE a.tenant_id = :tenant AND a.id = ANY(:covered) AND (CAST(:after AS uuid) IS NULL OR a.id > :after)
       AND (CAST(:unit AS uuid) IS NULL OR a.unit_id = :unit) AND (CAST(:platform AS text) IS NULL OR a.platform = :platform)
       AND (CAST(:status AS text) IS NULL OR a.status = :status)
       AND (CAST(:body AS text) IS NULL OR a.operating_body = :body)
       AND (CAST(:attention AS boolean) IS NULL OR a.needs_attention = :attention)
     ORDER BY a.id LIMIT :limit
    """  # noqa: S608 - our own names
)


class AccountController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts"
    tags = ["Official accounts"]

    @post(
        "/",
        operation_id="createAccount",
        summary="Register an account as a draft (it opens through an application)",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[AccountCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AccountDetail]:
        """The URL (or handle) is normalised, so one real account is one record: another live record
        of the same platform account, in any tenant, is a 409 naming its holder."""

        async def run() -> Response[AccountDetail]:
            account = await service.create_account(db_session, current_tenant_id, clock, principal, data)
            return await _detail_response(db_session, account, 201)

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/",
        operation_id="listAccounts",
        summary="List accounts, with filters",
        guards=[requires("accounts:read")],
        dependencies={"reader_tenant_id": Provide(provide_reader)},
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        request: Request[Any, Any, Any],
        state: State,
        reader_tenant_id: NamedDependency[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="Only this unit's accounts.")] = None,
        platform: FromQuery[Platform | None] = None,
        status_filter: Annotated[Status | None, QueryParameter(name="status")] = None,
        operating_body: FromQuery[OperatingBody | None] = None,
        needs_attention: FromQuery[bool | None] = None,
    ) -> Response[Page[AccountRead]]:
        """Every account of the tenant, in the order they were registered; filters combine."""
        # The hot read: one statement sets the tenant and reads the page (row-level security holds
        # inside it), and rows go to JSON as they come from the driver, without objects between.
        db: Database = state.db
        covered = getattr(request.state, "contractor_accounts", None)
        if covered is not None:  # a contractor: the accounts of their agreement only
            async with db.unit_of_work() as session:
                await set_tenant(session, reader_tenant_id)
                result = await session.execute(_COVERED_PAGE, {
                    "tenant": reader_tenant_id, "covered": list(covered), "after": after_id(cursor), "limit": limit + 1,
                    "unit": unit_id, "platform": platform, "status": status_filter, "body": operating_body,
                    "attention": needs_attention,
                })  # fmt: skip
                rows = [row._mapping for row in result]
        else:
            rows = await db.fetch(
                _PAGE, reader_tenant_id, after_id(cursor), limit + 1, unit_id, platform, status_filter, operating_body,
                needs_attention,
            )  # fmt: skip
        more = len(rows) > limit
        items = [dict(row) for row in rows[:limit]]
        next_cursor = encode_cursor([str(items[-1]["id"])]) if more else None
        page = msgspec.json.encode({"items": items, "next_cursor": next_cursor})
        return Response(page, media_type="application/json")  # type: ignore[arg-type]

    @get(
        "/{account_id:uuid}",
        operation_id="getAccount",
        summary="Read an account",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[AccountDetail]:
        return await _detail_response(db_session, await service.get_account(db_session, current_tenant_id, account_id))

    @put(
        "/{account_id:uuid}",
        operation_id="updateAccount",
        summary="Change an account (fields you send; If-Match required)",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[AccountUpdate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        if_match: IfMatch = None,
    ) -> Response[AccountDetail]:
        account = await service.get_account(db_session, current_tenant_id, account_id, for_update=True)
        require_if_match(request, account.version)
        await service.update_account(db_session, account, clock, principal, data)
        return await _detail_response(db_session, account)

    @post(
        "/{account_id:uuid}/suspend",
        operation_id="suspendAccount",
        summary="Suspend an active account (e.g. while it may be taken over)",
        guards=[requires("applications:decide")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def suspend(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[Reason],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> AccountDetail:
        account = await service.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await service.require_change(db_session, principal, account)
        await service.transition(db_session, account, "suspend", clock.now(), reason=data.reason)
        return await detail(db_session, account)

    @post(
        "/{account_id:uuid}/resume",
        operation_id="resumeAccount",
        summary="Make a suspended account active again",
        guards=[requires("applications:decide")],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def resume(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> AccountDetail:
        account = await service.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await service.require_change(db_session, principal, account)
        await service.transition(db_session, account, "resume", clock.now())
        return await detail(db_session, account)

    # ---- documents ----------------------------------------------------------------------------------

    @put(
        "/{account_id:uuid}/documents/{kind:str}",
        operation_id="putAccountDocument",
        summary="Write one of the documents required before opening, item by item",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422),
        response_headers=ETAG_HEADER,
    )
    async def put_document(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        kind: FromPath[DocumentKind],
        data: JSONBody[DocumentWrite],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        if_match: IfMatch = None,
    ) -> Response[DocumentRead]:
        """Items are named as in the tenant's configuration (e.g. the usage policy's `purpose`,
        `targets`); the readiness check names each one still missing. Replacing a document that
        exists needs its ETag in If-Match."""
        account = await service.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await service.require_change(db_session, principal, account)
        existing = (await service.documents_of(db_session, account.id)).get(kind)
        now = clock.now()
        if existing is None:
            document = AccountDocument(
                id=uuid7(), tenant_id=account.tenant_id, account_id=account.id, kind=kind, created_at=now
            )
            db_session.add(document)
        else:
            require_if_match(request, existing.version)
            document = existing
        document.items = dict(data.items)
        document.public_url = data.public_url
        document.disclosed_on_account = data.disclosed_on_account
        document.updated_at = now
        await db_session.flush()
        return Response(_document(document), headers={"ETag": etag(document.version)})

    @get(
        "/{account_id:uuid}/documents",
        operation_id="listAccountDocuments",
        summary="The account's documents",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def documents(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> list[DocumentRead]:
        account = await service.get_account(db_session, current_tenant_id, account_id)
        return [_document(d) for d in (await service.documents_of(db_session, account.id)).values()]

    @get(
        "/{account_id:uuid}/readiness",
        operation_id="getAccountReadiness",
        summary="Which opening rules of the tenant's configuration the account does not meet yet",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def readiness(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> Readiness:
        account = await service.get_account(db_session, current_tenant_id, account_id)
        version, config = await service.config_in_force(db_session, current_tenant_id, clock)
        unmet = await service.unmet_opening_rules(db_session, account, config)
        lang = negotiate(request.headers.get("accept-language"))
        return Readiness(
            ready=not unmet,
            guideline_version=version,
            unmet=[Unmet(rule=u.rule, detail=u.message.render(lang), basis=u.basis, missing=u.missing) for u in unmet],
        )

    # ---- activity -----------------------------------------------------------------------------------

    @post(
        "/{account_id:uuid}/posts",
        operation_id="recordPost",
        summary="Record a post (by an operator, or pushed by an agency system)",
        guards=[requires("posts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record_post(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[PostCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostRead]:
        """Feeds the account's "last post" (used for the inactivity rule)."""

        async def run() -> Response[PostRead]:
            account = await service.get_account(db_session, current_tenant_id, account_id, for_update=True)
            await service.require_change(db_session, principal, account)
            if account.status not in {"active", "suspended", "closing"}:
                raise service.illegal(account.status, "record_post")
            post = Post(
                id=uuid7(),
                tenant_id=account.tenant_id,
                account_id=account.id,
                posted_at=data.posted_at,
                url=data.url,
                approved_by=data.approved_by,
                recorded_by=principal.label,
                source="system" if principal.kind == "api_token" else "operator",
                created_at=clock.now(),
            )
            db_session.add(post)
            if account.last_post_at is None or data.posted_at > account.last_post_at:
                account.last_post_at = data.posted_at
                await monitoring.post_recorded(db_session, account, clock)
            await db_session.flush()
            record(db_session, "post.recorded", target_kind="account", target_id=account.id, tenant_id=account.tenant_id,
                   changes={"posted_at": data.posted_at, "url": data.url})  # fmt: skip
            return Response(msgspec.convert(post, PostRead, from_attributes=True), status_code=201)

        return await idempotent(request, db_session, idempotency_key, current_tenant_id, run)

    @get(
        "/{account_id:uuid}/posts",
        operation_id="listPosts",
        summary="The account's recorded posts, most recently recorded first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def posts(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[PostRead]:
        await service.get_account(db_session, current_tenant_id, account_id)
        query = select(Post).where(Post.tenant_id == current_tenant_id, Post.account_id == account_id)
        if (before := after_id(cursor)) is not None:
            query = query.where(Post.id < before)
        rows = list((await db_session.execute(query.order_by(Post.id.desc()).limit(limit + 1))).scalars())
        return id_page(rows[:limit], len(rows) > limit, lambda p: msgspec.convert(p, PostRead, from_attributes=True))


def _document(document: AccountDocument) -> DocumentRead:
    return msgspec.convert(document, DocumentRead, from_attributes=True)


class WarningController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/impersonation-warnings"
    tags = ["Official accounts"]

    @post(
        "/",
        operation_id="createImpersonationWarning",
        summary="Warn the public about a fake account (shown in the register and by verification)",
        guards=[requires("warnings:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[WarningCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[WarningRead]:
        warning = await service.publish_warning(
            db_session, current_tenant_id, clock, principal, data.url, data.platform, data.note_ja, data.note_en
        )
        return Response(msgspec.convert(warning, WarningRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listImpersonationWarnings",
        summary="Warnings about fake accounts",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def list_(
        self, current_tenant_id: NamedDependency[uuid.UUID], db_session: NamedDependency[AsyncSession]
    ) -> list[WarningRead]:
        rows = (
            await db_session.execute(
                select(ImpersonationWarning)
                .where(ImpersonationWarning.tenant_id == current_tenant_id)
                .order_by(ImpersonationWarning.id)
            )
        ).scalars()
        return [msgspec.convert(w, WarningRead, from_attributes=True) for w in rows]

    @post(
        "/{warning_id:uuid}/resolve",
        operation_id="resolveImpersonationWarning",
        summary="Take a warning down (the fake account is gone)",
        guards=[requires("warnings:write")],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def resolve(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        warning_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> WarningRead:
        warning = (
            await db_session.execute(
                select(ImpersonationWarning).where(
                    ImpersonationWarning.tenant_id == current_tenant_id, ImpersonationWarning.id == warning_id
                )
            )
        ).scalar_one_or_none()
        if warning is None:
            raise not_found("warning")
        if warning.active:
            warning.active, warning.resolved_at, warning.updated_at = False, clock.now(), clock.now()
            await db_session.flush()
        return msgspec.convert(warning, WarningRead, from_attributes=True)
