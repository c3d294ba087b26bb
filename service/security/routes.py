"""The social media accounts' passwords: checked against the tenant's rules, changes recorded."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from service.accounts import service as accounts
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import problems
from service.kit.i18n import negotiate
from service.kit.permissions import Permission
from service.security import service
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
        guards=[requires(Permission.RECORDS_READ)],
        status_code=200,
        responses=problems(401, 403, 404, 413, 415, 422),
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        data: JSONBody[PasswordCheck],
    ) -> PasswordCheckResult:
        """Each rule it breaks is named (`min_length`, `required_classes`, `avoid_guessable`) with the
        clauses it comes from. The candidate is not kept: not in the database, the logs or the trail."""
        version, failures, basis = await service.check(ctx, data.password, data.account_id)
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
        guards=[requires(Permission.ACCOUNTS_WRITE)],
        responses=problems(401, 403, 404, 409, 413, 415, 422),
    )
    async def record(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
        data: JSONBody[PasswordChangeCreate],
    ) -> Response[PasswordChangeRead]:
        """Restarts the tenant's rotation period and clears the flags a change answers (rotation due,
        a change asked for after staff moved). `meets_policy: false` flags the account instead."""
        account = await accounts.get(ctx, account_id, lock=True)
        change = await service.record_change(
            ctx,
            account,
            meets_policy=data.meets_policy,
            changed_on=data.changed_on,
            note=data.note,
        )
        return Response(msgspec.convert(change, PasswordChangeRead, from_attributes=True), status_code=201)

    @get(
        "/",
        operation_id="listPasswordChanges",
        summary="The account's recorded password changes, newest first",
        guards=[requires(Permission.RECORDS_READ)],
        responses=problems(401, 403, 404),
    )
    async def list_(
        self,
        ctx: NamedDependency[Ctx],
        account_id: FromPath[uuid.UUID],
    ) -> list[PasswordChangeRead]:
        changes = await service.changes_of(ctx, await accounts.get(ctx, account_id))
        return [msgspec.convert(c, PasswordChangeRead, from_attributes=True) for c in changes]
