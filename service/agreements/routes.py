"""/v1/tenants/{tenant_id}/agreements: contractor agreements, their clause check, renewal, login IDs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from service.agreements import service
from service.agreements.models import Agreement, AgreementState
from service.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    Clauses,
    Finding,
    Kind,
    LoginIdCreate,
    LoginIdRead,
    PeriodRead,
    Renewal,
)
from service.kit.access import requires
from service.kit.clock import Clock, local_today
from service.kit.context import Ctx
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems
from service.kit.i18n import Lang, negotiate
from service.kit.permissions import Permission
from service.tenants.service import tenant_of


def _lang(request: Request[Any, Any, Any]) -> Lang:
    return negotiate(request.headers.get("accept-language"))


async def agreement_reads(
    session: AsyncSession, agreements: list[Agreement], clock: Clock, lang: Lang
) -> list[AgreementRead]:
    """The answers for a page of agreements: their accounts and periods in one query each."""
    if not agreements:
        return []
    tenant_id = agreements[0].tenant_id
    today = local_today(clock, (await tenant_of(session, tenant_id)).time_zone)
    accounts, periods = await service.accounts_and_periods(session, agreements)
    answers = []
    for agreement in agreements:
        findings = service.render_findings(agreement.findings, lang)
        answers.append(
            AgreementRead(
                id=agreement.id,
                tenant_id=agreement.tenant_id,
                unit_id=agreement.unit_id,
                contractor_name=agreement.contractor_name,
                kind=agreement.kind,  # type: ignore[arg-type]
                reference=agreement.reference,
                starts_on=agreement.starts_on,
                ends_on=agreement.ends_on,
                state=agreement.state,
                in_force=service.in_force(agreement, today),
                account_ids=accounts[agreement.id],
                clauses=msgspec.convert(agreement.clauses, Clauses),
                compliant=not findings,
                findings=[msgspec.convert(f, Finding) for f in findings],
                checked_against_version=agreement.checked_version,
                periods=[msgspec.convert(p, PeriodRead, from_attributes=True) for p in periods[agreement.id]],
                ended_at=agreement.ended_at,
                created_by=agreement.created_by,
                version=agreement.version,
            )
        )
    return answers


async def agreement_read(session: AsyncSession, agreement: Agreement, clock: Clock, lang: Lang) -> AgreementRead:
    return (await agreement_reads(session, [agreement], clock, lang))[0]


class AgreementController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/agreements"
    tags = ["Contractor agreements"]

    @post(
        "/",
        operation_id="createAgreement",
        summary="Record an agreement; its clauses are checked against the configuration at its start",
        guards=[requires(Permission.AGREEMENTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[AgreementCreate],
    ) -> Response[AgreementRead]:
        """A clause missing or not conforming does not refuse the agreement (it exists, as signed):
        it becomes a finding, named with the rule it breaks, until the agreement is corrected."""
        agreement = await service.create_agreement(ctx, data)
        return Response(await agreement_read(ctx.session, agreement, ctx.clock, _lang(request)), status_code=201)

    @get(
        "/",
        operation_id="listAgreements",
        summary="Agreements, with filters (a finding, compliance, the state, an account)",
        guards=[requires(Permission.AGREEMENTS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        finding: Annotated[
            str | None, Parameter(description="Only agreements with this finding code, e.g. `missing`.", max_length=60)
        ] = None,
        compliant: FromQuery[bool | None] = None,
        state_filter: Annotated[AgreementState | None, QueryParameter(name="state")] = None,
        kind: FromQuery[Kind | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[AgreementRead]:
        """A contractor sees their own agreement only."""
        rows, more = await service.list_agreements(
            ctx, after_id(cursor), limit, finding=finding, compliant=compliant, state=state_filter, kind=kind,
            account_id=account_id,
        )  # fmt: skip
        items = await agreement_reads(ctx.session, rows, ctx.clock, _lang(request))
        return Page(items=items, next_cursor=encode_cursor([str(rows[-1].id)]) if more else None)

    @get(
        "/{agreement_id:uuid}",
        operation_id="getAgreement",
        summary="An agreement with its findings and its periods",
        guards=[requires(Permission.AGREEMENTS_READ)],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        agreement_id: FromPath[uuid.UUID],
    ) -> AgreementRead:
        agreement = await service.get_agreement(ctx, agreement_id)
        return await agreement_read(ctx.session, agreement, ctx.clock, _lang(request))

    @put(
        "/{agreement_id:uuid}",
        operation_id="updateAgreement",
        summary="Correct the clauses or the covered accounts (checked again)",
        guards=[requires(Permission.AGREEMENTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[AgreementUpdate],
    ) -> AgreementRead:
        """An ended agreement is history: 409. An account with login IDs on record stays covered."""
        agreement = await service.get_agreement(ctx, agreement_id, lock=True)
        await service.update_agreement(ctx, agreement, data)
        return await agreement_read(ctx.session, agreement, ctx.clock, _lang(request))

    @post(
        "/{agreement_id:uuid}/renew",
        operation_id="renewAgreement",
        summary="Renew: a new period from the day after the current end (the earlier ones are kept)",
        guards=[requires(Permission.AGREEMENTS_WRITE)],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def renew(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[Renewal],
    ) -> AgreementRead:
        """The end reminders and the end move with it; an ended agreement cannot be renewed (409)."""
        agreement = await service.get_agreement(ctx, agreement_id, lock=True)
        await service.renew(ctx, agreement, data)
        return await agreement_read(ctx.session, agreement, ctx.clock, _lang(request))

    @post(
        "/{agreement_id:uuid}/login-ids",
        operation_id="recordLoginId",
        summary="Record a login ID of a covered account: the agency's or the contractor's",
        guards=[requires(Permission.AGREEMENTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def add_login_id(
        self,
        ctx: NamedDependency[Ctx],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[LoginIdCreate],
    ) -> Response[LoginIdRead]:
        """Only the ID itself is kept, never a password. At the end the contractor's IDs are
        marked revoked or handed over as the agreement says (revoked where it says nothing)."""
        agreement = await service.get_agreement(ctx, agreement_id, lock=True)
        login = await service.add_login_id(ctx, agreement, data)
        return Response(msgspec.convert(login, LoginIdRead, from_attributes=True), status_code=201)

    @get(
        "/{agreement_id:uuid}/login-ids",
        operation_id="listLoginIds",
        summary="The login IDs of the agreement's accounts (a contractor sees only their own)",
        guards=[requires(Permission.AGREEMENTS_READ)],
        responses=problems(401, 403, 404),
    )
    async def login_ids(
        self,
        ctx: NamedDependency[Ctx],
        agreement_id: FromPath[uuid.UUID],
    ) -> list[LoginIdRead]:
        rows = await service.visible_login_ids(ctx, await service.get_agreement(ctx, agreement_id))
        return [msgspec.convert(row, LoginIdRead, from_attributes=True) for row in rows]
