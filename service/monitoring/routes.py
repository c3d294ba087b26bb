"""/v1/tenants/{tenant_id}/accounts/{account_id}/monitoring and …/reviews: each look at an account,
and each periodic review of it, recorded."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from service.accounts import service as accounts
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import problems
from service.kit.permissions import Permission
from service.monitoring import service
from service.monitoring.schemas import MonitoringCreate, MonitoringRead, ReviewCreate, ReviewKind, ReviewRead


class MonitoringController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/monitoring"
    tags = ["Monitoring"]

    @post(
        "/",
        operation_id="recordMonitoring",
        summary="Record a look at the account's posts and comments, and what it found",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[MonitoringCreate],
    ) -> Response[MonitoringRead]:
        """Restarts the tenant's monitoring period (daily, weekly, monthly) and clears an overdue flag."""
        account = await accounts.get(ctx, account_id, lock=True)
        record = await service.record_monitoring(
            ctx,
            account,
            issues_found=data.issues_found,
            findings=data.findings,
            monitored_on=data.monitored_on,
        )
        return Response(msgspec.convert(record, MonitoringRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listMonitoring",
        summary="The account's monitoring records, newest first",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> list[MonitoringRead]:
        records = await service.records_of(ctx, await accounts.get(ctx, account_id))
        return [msgspec.convert(r, MonitoringRead, from_attributes=True) for r in records]


class ReviewController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/reviews"
    tags = ["Monitoring"]

    @post(
        "/",
        operation_id="recordReview",
        summary="Record a periodic review: against the account's targets (PDCA), or of its security settings",
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
    ) -> Response[ReviewRead]:
        """Restarts that kind's interval (renewal.periodic_review, security.settings_review) and
        clears its "due" flag."""
        account = await accounts.get(ctx, account_id, lock=True)
        review = await service.record_review(
            ctx,
            account,
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
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404, 422),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        kind: FromQuery[ReviewKind | None] = None,
    ) -> list[ReviewRead]:
        reviews = await service.reviews_of(ctx, await accounts.get(ctx, account_id), kind)
        return [msgspec.convert(r, ReviewRead, from_attributes=True) for r in reviews]
