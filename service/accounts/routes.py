"""/v1/tenants/{tenant_id}/accounts: the register, seen from inside the tenant."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service
from service.accounts.models import Account, AccountDocument
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
    Readiness,
    Reason,
    Status,
    Unmet,
    WarningCreate,
    WarningRead,
)
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
    problems,
    require_if_match,
)
from service.kit.i18n import negotiate
from service.kit.idempotency import idempotent
from service.kit.permissions import Permission


async def detail(session: AsyncSession, account: Account) -> AccountDetail:
    operators = await service.operator_ids(session, account)
    return msgspec.convert({**_columns(account), "operator_ids": operators}, AccountDetail)


def _columns(account: Account) -> dict[str, Any]:
    return {c: getattr(account, c) for c in AccountRead.__struct_fields__}


async def _detail_response(session: AsyncSession, account: Account, status_code: int = 200) -> Response[AccountDetail]:
    return Response(await detail(session, account), status_code=status_code, headers={"ETag": etag(account.version)})


class AccountController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts"
    tags = ["Official accounts"]

    @post(
        "/",
        operation_id="createAccount",
        summary="Register an account as a draft (it opens through an application)",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
        response_headers=ETAG_HEADER,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[AccountCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AccountDetail]:
        """The URL (or handle) is normalised, so one real account is one record: another live record
        of the same platform account, in any tenant, is a 409 naming its holder."""

        async def run() -> Response[AccountDetail]:
            account = await service.create_account(ctx, data)
            return await _detail_response(ctx.session, account, 201)

        return await idempotent(request, ctx.session, idempotency_key, ctx.tenant_id, run)

    @get(
        "/",
        operation_id="listAccounts",
        summary="List accounts, with filters",
        guards=[requires(Permission.ACCOUNTS_READ)],
        dependencies={"reader_tenant_id": Provide(provide_reader)},
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        state: State,
        access: NamedDependency[Access],
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
        filters = {"unit": unit_id, "platform": platform, "status": status_filter, "body": operating_body,
                   "attention": needs_attention}  # fmt: skip
        rows, more = await service.list_accounts(state.db, access, reader_tenant_id, after_id(cursor), limit, filters)
        next_cursor = encode_cursor([str(rows[-1]["id"])]) if more else None
        page = msgspec.json.encode({"items": [dict(row) for row in rows], "next_cursor": next_cursor})
        return Response(page, media_type="application/json")  # type: ignore[arg-type]

    @get(
        "/{account_id:uuid}",
        operation_id="getAccount",
        summary="Read an account",
        guards=[requires(Permission.ACCOUNTS_READ)],
        responses=problems(401, 403, 404),
        response_headers=ETAG_HEADER,
    )
    async def read(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> Response[AccountDetail]:
        return await _detail_response(ctx.session, await service.get(ctx, account_id))

    @put(
        "/{account_id:uuid}",
        operation_id="updateAccount",
        summary="Change an account (fields you send; If-Match required)",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[AccountUpdate],
        if_match: IfMatch = None,
    ) -> Response[AccountDetail]:
        """Moving the account to another unit (`unit_id`) needs that unit within your reach too:
        a unit head moves accounts among their own units only; otherwise 403 naming `/unit_id`."""
        account = await service.get(ctx, account_id, lock=True, permission=Permission.ACCOUNTS_WRITE)
        require_if_match(request, account.version)
        await service.update_account(ctx, account, data)
        return await _detail_response(ctx.session, account)

    @post(
        "/{account_id:uuid}/suspend",
        operation_id="suspendAccount",
        summary="Suspend an active account (e.g. while it may be taken over)",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def suspend(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[Reason],
    ) -> AccountDetail:
        """Decided by the roles the guideline configuration makes closure deciders
        (`closure.decided_by`; a unit head for their units' accounts only) or a general
        administrator; anyone else gets 403 with `reason: not-a-suspension-decider`."""
        account = await service.get(ctx, account_id, lock=True)
        await service.suspend(ctx, account, data.reason)
        return await detail(ctx.session, account)

    @post(
        "/{account_id:uuid}/resume",
        operation_id="resumeAccount",
        summary="Make a suspended account active again",
        guards=[requires(Permission.APPLICATIONS_DECIDE)],
        status_code=200,
        responses=problems(401, 403, 404, 409),
    )
    async def resume(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> AccountDetail:
        """Decided as the suspension is (`closure.decided_by`, or a general administrator)."""
        account = await service.get(ctx, account_id, lock=True)
        await service.resume(ctx, account)
        return await detail(ctx.session, account)

    # ---- documents ----------------------------------------------------------------------------------

    @put(
        "/{account_id:uuid}/documents/{kind:str}",
        operation_id="putAccountDocument",
        summary="Write one of the documents required before opening, item by item",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 412, 413, 415, 422, 428),
        response_headers=ETAG_HEADER,
    )
    async def put_document(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        kind: FromPath[DocumentKind],
        data: JSONBody[DocumentWrite],
        if_match: IfMatch = None,
    ) -> Response[DocumentRead]:
        """Items are named as in the tenant's configuration (e.g. the usage policy's `purpose`,
        `targets`); the readiness check names each one still missing. Replacing a document that
        exists needs its ETag in If-Match."""
        account = await service.get(ctx, account_id, lock=True, permission=Permission.ACCOUNTS_WRITE)
        document = await service.put_document(
            ctx, account, kind, data, lambda version: require_if_match(request, version)
        )
        return Response(_document(document), headers={"ETag": etag(document.version)})

    @get(
        "/{account_id:uuid}/documents",
        operation_id="listAccountDocuments",
        summary="The account's documents",
        guards=[requires(Permission.ACCOUNTS_READ)],
        responses=problems(401, 403, 404),
    )
    async def documents(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> list[DocumentRead]:
        account = await service.get(ctx, account_id)
        return [_document(d) for d in (await service.documents_of(ctx.session, account)).values()]

    @get(
        "/{account_id:uuid}/readiness",
        operation_id="getAccountReadiness",
        summary="Which opening rules of the tenant's configuration the account does not meet yet",
        guards=[requires(Permission.ACCOUNTS_READ)],
        responses=problems(401, 403, 404),
    )
    async def readiness(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> Readiness:
        version, unmet = await service.readiness(ctx, await service.get(ctx, account_id))
        lang = negotiate(request.headers.get("accept-language"))
        return Readiness(
            ready=not unmet,
            guideline_version=version,
            unmet=[Unmet(rule=u.rule, detail=u.message.render(lang), basis=u.basis, missing=u.missing) for u in unmet],
        )


def _document(document: AccountDocument) -> DocumentRead:
    return msgspec.convert(document, DocumentRead, from_attributes=True)


class WarningController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/impersonation-warnings"
    tags = ["Official accounts"]

    @post(
        "/",
        operation_id="createImpersonationWarning",
        summary="Warn the public about a fake account (shown in the register and by verification)",
        guards=[requires(Permission.WARNINGS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        ctx: NamedDependency[Ctx],
        data: JSONBody[WarningCreate],
    ) -> Response[WarningRead]:
        warning = await service.publish_warning(ctx, data)
        return Response(msgspec.convert(warning, WarningRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listImpersonationWarnings",
        summary="Warnings about fake accounts",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def list_(self, ctx: NamedDependency[Ctx]) -> list[WarningRead]:
        return [msgspec.convert(w, WarningRead, from_attributes=True) for w in await service.warnings(ctx)]

    @post(
        "/{warning_id:uuid}/resolve",
        operation_id="resolveImpersonationWarning",
        summary="Take a warning down (the fake account is gone)",
        guards=[requires(Permission.WARNINGS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404),
    )
    async def resolve(self, ctx: NamedDependency[Ctx], warning_id: FromPath[uuid.UUID]) -> WarningRead:
        return msgspec.convert(await service.resolve_warning(ctx, warning_id), WarningRead, from_attributes=True)
