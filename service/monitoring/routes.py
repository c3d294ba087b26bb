"""/v1/tenants/{tenant_id}/accounts/{account_id}/monitoring and …/reviews: each look at an account,
and each periodic review of it, recorded."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import problems
from service.monitoring import service
from service.monitoring.models import AccountReview, MonitoringRecord
from service.monitoring.schemas import MonitoringCreate, MonitoringRead, ReviewCreate, ReviewKind, ReviewRead


class MonitoringController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/monitoring"
    tags = ["Monitoring"]

    @post(
        "/",
        operation_id="recordMonitoring",
        summary="Record a look at the account's posts and comments, and what it found",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[MonitoringCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[MonitoringRead]:
        """Restarts the tenant's monitoring period (daily, weekly, monthly) and clears an overdue flag."""
        account = await accounts.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await accounts.require_change(db_session, principal, account)
        record = await service.record_monitoring(
            db_session,
            account,
            clock,
            principal,
            issues_found=data.issues_found,
            findings=data.findings,
            monitored_on=data.monitored_on,
        )
        return Response(msgspec.convert(record, MonitoringRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listMonitoring",
        summary="The account's monitoring records, newest first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> list[MonitoringRead]:
        await accounts.get_account(db_session, current_tenant_id, account_id)
        rows = await db_session.execute(
            select(MonitoringRecord)
            .where(MonitoringRecord.tenant_id == current_tenant_id, MonitoringRecord.account_id == account_id)
            .order_by(MonitoringRecord.monitored_on.desc(), MonitoringRecord.id.desc())
        )
        return [msgspec.convert(r, MonitoringRead, from_attributes=True) for r in rows.scalars()]


class ReviewController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/reviews"
    tags = ["Monitoring"]

    @post(
        "/",
        operation_id="recordReview",
        summary="Record a periodic review: against the account's targets (PDCA), or of its security settings",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[ReviewRead]:
        """Restarts that kind's interval (renewal.periodic_review, security.settings_review) and
        clears its "due" flag."""
        account = await accounts.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await accounts.require_change(db_session, principal, account)
        review = await service.record_review(
            db_session,
            account,
            clock,
            principal,
            kind=data.kind,
            action_needed=data.action_needed,
            findings=data.findings,
            reviewed_on=data.reviewed_on,
        )
        return Response(msgspec.convert(review, ReviewRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listReviews",
        summary="The account's periodic reviews, newest first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
        kind: FromQuery[ReviewKind | None] = None,
    ) -> list[ReviewRead]:
        await accounts.get_account(db_session, current_tenant_id, account_id)
        query = select(AccountReview).where(
            AccountReview.tenant_id == current_tenant_id, AccountReview.account_id == account_id
        )
        if kind is not None:
            query = query.where(AccountReview.kind == kind)
        rows = await db_session.execute(query.order_by(AccountReview.reviewed_on.desc(), AccountReview.id.desc()))
        return [msgspec.convert(r, ReviewRead, from_attributes=True) for r in rows.scalars()]
