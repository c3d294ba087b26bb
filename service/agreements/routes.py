"""/v1/tenants/{tenant_id}/agreements: contractor agreements, their clause check, renewal, login IDs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.agreements import service
from service.agreements.models import Agreement, AgreementAccount, AgreementPeriod
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
from service.kit.auth import Principal, requires
from service.kit.clock import Clock, local_today
from service.kit.http import DEFAULT_LIMIT, Cursor, Limit, Page, after_id, encode_cursor, problems
from service.kit.i18n import Lang, negotiate
from service.tenants.service import tenant_of


def _lang(request: Request[Any, Any, Any]) -> Lang:
    return negotiate(request.headers.get("accept-language"))


async def agreement_reads(
    session: AsyncSession, agreements: list[Agreement], clock: Clock, lang: Lang
) -> list[AgreementRead]:
    """The answers for a page of agreements: their accounts and periods in one query each."""
    if not agreements:
        return []
    tenant_id, ids = agreements[0].tenant_id, [a.id for a in agreements]
    today = local_today(clock, (await tenant_of(session, tenant_id)).time_zone)
    accounts: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for agreement_id, account_id in await session.execute(
        select(AgreementAccount.agreement_id, AgreementAccount.account_id)
        .where(AgreementAccount.tenant_id == tenant_id, AgreementAccount.agreement_id.in_(ids))
        .order_by(AgreementAccount.account_id)
    ):
        accounts[agreement_id].append(account_id)
    periods: dict[uuid.UUID, list[PeriodRead]] = defaultdict(list)
    for period in (
        await session.execute(
            select(AgreementPeriod)
            .where(AgreementPeriod.tenant_id == tenant_id, AgreementPeriod.agreement_id.in_(ids))
            .order_by(AgreementPeriod.starts_on)
        )
    ).scalars():
        periods[period.agreement_id].append(msgspec.convert(period, PeriodRead, from_attributes=True))
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
                state=agreement.state,  # type: ignore[arg-type]
                in_force=service.in_force(agreement, today),
                account_ids=accounts[agreement.id],
                clauses=msgspec.convert(agreement.clauses, Clauses),
                compliant=not findings,
                findings=[msgspec.convert(f, Finding) for f in findings],
                checked_against_version=agreement.checked_version,
                periods=periods[agreement.id],
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
        guards=[requires("agreements:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[AgreementCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[AgreementRead]:
        """A clause missing or not conforming does not refuse the agreement (it exists, as signed):
        it becomes a finding, named with the rule it breaks, until the agreement is corrected."""
        agreement = await service.create_agreement(db_session, current_tenant_id, clock, principal, data)
        return Response(await agreement_read(db_session, agreement, clock, _lang(request)), status_code=201)

    @get(
        "/",
        operation_id="listAgreements",
        summary="Agreements, with filters (a finding, compliance, the state, an account)",
        guards=[requires("agreements:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
        finding: Annotated[
            str | None, Parameter(description="Only agreements with this finding code, e.g. `missing`.", max_length=60)
        ] = None,
        compliant: FromQuery[bool | None] = None,
        state_filter: Annotated[str | None, QueryParameter(name="state", pattern="^(active|ended)$")] = None,
        kind: FromQuery[Kind | None] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[AgreementRead]:
        """A contractor sees their own agreement only."""
        query = select(Agreement).where(Agreement.tenant_id == current_tenant_id)
        if (own := getattr(request.state, "contractor_agreement", None)) is not None:
            query = query.where(Agreement.id == own)
        if finding is not None:
            query = query.where(Agreement.finding_codes.contains([finding]))
        if compliant is not None:
            query = (
                query.where(Agreement.finding_codes == []) if compliant else query.where(Agreement.finding_codes != [])
            )
        if state_filter is not None:
            query = query.where(Agreement.state == state_filter)
        if kind is not None:
            query = query.where(Agreement.kind == kind)
        if account_id is not None:
            covering = select(AgreementAccount.agreement_id).where(AgreementAccount.account_id == account_id)
            query = query.where(Agreement.id.in_(covering))
        if (after := after_id(cursor)) is not None:
            query = query.where(Agreement.id > after)
        rows = list((await db_session.execute(query.order_by(Agreement.id).limit(limit + 1))).scalars())
        items = await agreement_reads(db_session, rows[:limit], clock, _lang(request))
        more = len(rows) > limit
        return Page(items=items, next_cursor=encode_cursor([str(rows[limit - 1].id)]) if more else None)

    @get(
        "/{agreement_id:uuid}",
        operation_id="getAgreement",
        summary="An agreement with its findings and its periods",
        guards=[requires("agreements:read")],
        responses=problems(401, 403, 404),
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> AgreementRead:
        agreement = await service.get_agreement(db_session, current_tenant_id, agreement_id)
        return await agreement_read(db_session, agreement, clock, _lang(request))

    @put(
        "/{agreement_id:uuid}",
        operation_id="updateAgreement",
        summary="Correct the clauses or the covered accounts (checked again)",
        guards=[requires("agreements:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[AgreementUpdate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> AgreementRead:
        """An ended agreement is history: 409. An account with login IDs on record stays covered."""
        agreement = await service.get_agreement(db_session, current_tenant_id, agreement_id, lock=True)
        await service.update_agreement(db_session, agreement, clock, principal, data)
        return await agreement_read(db_session, agreement, clock, _lang(request))

    @post(
        "/{agreement_id:uuid}/renew",
        operation_id="renewAgreement",
        summary="Renew: a new period from the day after the current end (the earlier ones are kept)",
        guards=[requires("agreements:write")],
        status_code=200,
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def renew(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[Renewal],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> AgreementRead:
        """The end reminders and the end move with it; an ended agreement cannot be renewed (409)."""
        agreement = await service.get_agreement(db_session, current_tenant_id, agreement_id, lock=True)
        await service.renew(db_session, agreement, clock, principal, data)
        return await agreement_read(db_session, agreement, clock, _lang(request))

    @post(
        "/{agreement_id:uuid}/login-ids",
        operation_id="recordLoginId",
        summary="Record a login ID of a covered account: the agency's or the contractor's",
        guards=[requires("agreements:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def add_login_id(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[LoginIdCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[LoginIdRead]:
        """Only the ID itself is kept, never a password. At the end the contractor's IDs are
        marked revoked or handed over as the agreement says (revoked where it says nothing)."""
        agreement = await service.get_agreement(db_session, current_tenant_id, agreement_id, lock=True)
        login = await service.add_login_id(db_session, agreement, clock, principal, data)
        return Response(msgspec.convert(login, LoginIdRead, from_attributes=True), status_code=201)

    @get(
        "/{agreement_id:uuid}/login-ids",
        operation_id="listLoginIds",
        summary="The login IDs of the agreement's accounts (a contractor sees only their own)",
        guards=[requires("agreements:read")],
        responses=problems(401, 403, 404),
    )
    async def login_ids(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        agreement_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> list[LoginIdRead]:
        agreement = await service.get_agreement(db_session, current_tenant_id, agreement_id)
        contractor = getattr(request.state, "contractor_agreement", None) is not None
        rows = await service.login_ids(db_session, agreement, holder="contractor" if contractor else None)
        return [msgspec.convert(row, LoginIdRead, from_attributes=True) for row in rows]
