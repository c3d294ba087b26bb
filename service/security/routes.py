"""The social media accounts' passwords: checked against the tenant's rules, changes recorded."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.kit.auth import Principal, requires
from service.kit.clock import Clock
from service.kit.http import problems
from service.kit.i18n import negotiate
from service.security import service
from service.security.models import PasswordChange
from service.security.schemas import (
    Failure,
    PasswordChangeCreate,
    PasswordChangeRead,
    PasswordCheck,
    PasswordCheckResult,
)


class PasswordPolicyController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/password-policy"
    tags = ["Account security"]

    @post(
        "/check",
        operation_id="checkAccountPassword",
        summary="Check a candidate password against the tenant's rules (stored and logged nowhere)",
        guards=[requires("accounts:read")],
        status_code=200,
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        current_tenant_id: NamedDependency[uuid.UUID],
        data: JSONBody[PasswordCheck],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> PasswordCheckResult:
        """Each rule it breaks is named (`min_length`, `required_classes`, `avoid_guessable`) with the
        clauses it comes from. The candidate is not kept: not in the database, the logs or the trail."""
        version, failures, basis = await service.check(
            db_session, current_tenant_id, clock, data.password, data.account_id
        )
        lang = negotiate(request.headers.get("accept-language"))
        return PasswordCheckResult(
            meets_policy=not failures,
            failures=[Failure(rule=rule, detail=message.render(lang), basis=basis) for rule, message in failures],  # type: ignore[arg-type]
            guideline_version=version,
        )


class PasswordChangeController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/accounts/{account_id:uuid}/password-changes"
    tags = ["Account security"]

    @post(
        "/",
        operation_id="recordPasswordChange",
        summary="Record that the account's password was changed (never the password)",
        guards=[requires("accounts:write")],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[PasswordChangeCreate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        clock: NamedDependency[Clock],
    ) -> Response[PasswordChangeRead]:
        """Restarts the tenant's rotation period and clears the flags a change answers (rotation due,
        a change asked for after staff moved). `meets_policy: false` flags the account instead."""
        account = await accounts.get_account(db_session, current_tenant_id, account_id, for_update=True)
        await accounts.require_change(db_session, principal, account)
        change = await service.record_change(
            db_session,
            account,
            clock,
            principal,
            meets_policy=data.meets_policy,
            changed_on=data.changed_on,
            note=data.note,
        )
        return Response(msgspec.convert(change, PasswordChangeRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listPasswordChanges",
        summary="The account's recorded password changes, newest first",
        guards=[requires("accounts:read")],
        responses=problems(401, 403, 404),
    )
    async def list_(
        self,
        current_tenant_id: NamedDependency[uuid.UUID],
        account_id: FromPath[uuid.UUID],
        db_session: NamedDependency[AsyncSession],
    ) -> list[PasswordChangeRead]:
        await accounts.get_account(db_session, current_tenant_id, account_id)
        rows = await db_session.execute(
            select(PasswordChange)
            .where(PasswordChange.tenant_id == current_tenant_id, PasswordChange.account_id == account_id)
            .order_by(PasswordChange.changed_on.desc(), PasswordChange.id.desc())
        )
        return [msgspec.convert(r, PasswordChangeRead, from_attributes=True) for r in rows.scalars()]
