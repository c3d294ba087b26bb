"""Applications (別紙様式): a new account, a change to one, or its closure.

A unit drafts and submits; an approver decides. Who approves is the tenant's configuration
(`opening.application.approver_role`): the general administrator always may, a unit head for
their own units where the configuration names unit heads. Approving a new account checks every
opening rule first and names each one unmet. Every step is in the audit trail and is an event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import Account, Application
from service.applications.schemas import ApplicationCreate
from service.closures import service as closures
from service.events.service import emit
from service.kit.auth import Principal
from service.kit.clock import Clock, local_today
from service.kit.db import flush_or_conflict
from service.kit.errors import Msg, ProblemError, conflict, not_found
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.monitoring import service as monitoring
from service.renewals import service as renewals
from service.security import service as security
from service.tenants.service import tenant_of

KIND_LABELS = {"new": ("新規", "new account"), "change": ("変更", "change"), "closure": ("廃止", "closure")}


def _wrong_state(application: Application, action: str) -> ProblemError:
    allowed = {"draft": ["submit", "withdraw"], "submitted": ["approve", "reject", "withdraw"]}.get(
        application.state, []
    )
    return ProblemError(
        "conflict",
        Msg(
            "conflict.application-state",
            {"state": application.state, "action": action, "allowed": ", ".join(allowed) or "-"},
        ),
        extensions={"reason": "illegal-transition", "current_state": application.state, "allowed_actions": allowed},
    )


async def get_application(
    session: AsyncSession, tenant_id: uuid.UUID, application_id: uuid.UUID, *, lock: bool = True
) -> Application:
    query = select(Application).where(Application.tenant_id == tenant_id, Application.id == application_id)
    row = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None:
        raise not_found("application")
    return row


async def _event(
    session: AsyncSession, application: Application, account: Account, kind: str, now: dt.datetime, **data: Any
) -> None:
    await emit(
        session,
        tenant_id=application.tenant_id,
        type=kind,
        subject_kind="application",
        subject_id=str(application.id),
        data={
            "application_kind": KIND_LABELS[application.kind][0],
            "application_kind_en": KIND_LABELS[application.kind][1],
            "account_id": str(account.id),
            "subject_label": account.display_name,
            **data,
        },
        now=now,
    )


async def create_application(
    session: AsyncSession, tenant_id: uuid.UUID, clock: Clock, principal: Principal, data: ApplicationCreate
) -> Application:
    account = await accounts.get_account(session, tenant_id, data.account_id, for_update=True)
    await accounts.require_change(session, principal, account)
    if data.kind == "new" and account.status != "draft":
        raise accounts.illegal(account.status, "apply_new")
    if data.kind in {"change", "closure"} and account.status not in {"active", "suspended"}:
        raise accounts.illegal(account.status, f"apply_{data.kind}")
    now = clock.now()
    application = Application(
        id=uuid7(),
        tenant_id=tenant_id,
        account_id=account.id,
        kind=data.kind,
        state="draft",
        form=msgspec.to_builtins(data),
        created_by=principal.id,
        created_by_label=principal.label,
        created_at=now,
        updated_at=now,
    )
    session.add(application)
    await flush_or_conflict(session, conflict("conflict.application-open"))
    return application


async def submit(session: AsyncSession, application: Application, clock: Clock, principal: Principal) -> Application:
    """Submit a draft. Where the configuration does not make this kind of application need
    approval (`opening.application.required` / `kinds`), submitting it also carries it out, with
    the same rules checked as an approval would."""
    if application.state != "draft":
        raise _wrong_state(application, "submit")
    account = await accounts.get_account(session, application.tenant_id, application.account_id, for_update=True)
    await accounts.require_change(session, principal, account)
    version, config = await accounts.config_in_force(session, application.tenant_id, clock)
    now = clock.now()
    automatic = not needs_approval(config, application.kind)
    if application.kind == "new":
        # Nothing to wait for: refuse now, while the account is still a draft, if rules are unmet.
        if automatic and (unmet := await accounts.unmet_opening_rules(session, account, config)):
            raise accounts.rules_not_met(unmet)
        await accounts.transition(session, account, "submit", now)
    application.state, application.submitted_at, application.updated_at = "submitted", now, now
    await session.flush()
    approver = ((config or {}).get("opening", {}).get("application") or {}).get("approver_role")
    await _event(session, application, account, "application.submitted", now, approver_role=approver)
    if automatic:
        await _carry_out(session, application, account, version, config, clock, principal)
    return application


def needs_approval(config: dict[str, Any] | None, kind: str) -> bool:
    """Without a configuration every application waits for a decision: the safe reading."""
    rule = (config or {}).get("opening", {}).get("application")
    if rule is None:
        return True
    return bool(rule["required"]) and kind in rule["kinds"]


async def withdraw(session: AsyncSession, application: Application, clock: Clock, principal: Principal) -> Application:
    if application.state not in {"draft", "submitted"}:
        raise _wrong_state(application, "withdraw")
    account = await accounts.get_account(session, application.tenant_id, application.account_id, for_update=True)
    await accounts.require_change(session, principal, account)
    now = clock.now()
    if application.kind == "new" and account.status == "pending_approval":
        await accounts.transition(session, account, "withdraw", now)
    was_submitted = application.state == "submitted"
    application.state, application.updated_at = "withdrawn", now
    await session.flush()
    if was_submitted:  # a draft was never announced, so its withdrawal is nobody's news
        await _event(session, application, account, "application.withdrawn", now)
    return application


async def _require_approver(
    session: AsyncSession, principal: Principal, account: Account, config: dict[str, Any] | None
) -> None:
    if principal.roles & {Role.PLATFORM_OPERATOR, Role.GENERAL_ADMINISTRATOR}:
        return
    approver = (config or {}).get("opening", {}).get("application", {}).get("approver_role")
    if Role.UNIT_HEAD in principal.roles and approver == "unit_head":
        scope = await accounts.scope_of(session, principal)
        if account.unit_id in scope.unit_ids:
            return
    raise ProblemError(
        "forbidden",
        Msg("detail.not-the-approver", {"approver": approver or "general_administrator"}),
        extensions={"reason": "not-the-approver", "approver_role": approver or "general_administrator"},
    )


async def approve(session: AsyncSession, application: Application, clock: Clock, principal: Principal) -> Application:
    if application.state != "submitted":
        raise _wrong_state(application, "approve")
    account = await accounts.get_account(session, application.tenant_id, application.account_id, for_update=True)
    version, config = await accounts.config_in_force(session, application.tenant_id, clock)
    await _require_approver(session, principal, account, config)
    await _carry_out(session, application, account, version, config, clock, principal)
    return application


async def _carry_out(
    session: AsyncSession,
    application: Application,
    account: Account,
    version: int | None,
    config: dict[str, Any] | None,
    clock: Clock,
    principal: Principal,
) -> None:
    """Do what an approved application asks, after checking the rules that guard it."""
    now = clock.now()
    tenant = await tenant_of(session, account.tenant_id)
    today = local_today(clock, tenant.time_zone)
    if application.kind == "new":
        if unmet := await accounts.unmet_opening_rules(session, account, config):
            raise accounts.rules_not_met(unmet)
        account.opened_on = today
        await accounts.transition(session, account, "approve", now, guideline_version=version)
        await renewals.join_open_round(session, account, now)
        await security.account_opened(session, account, config or {}, now)
        await monitoring.account_opened(session, account, config or {}, now)
    elif application.kind == "change":
        await _apply_change(session, account, application.form.get("changes") or {}, clock, principal)
    else:
        await closures.start_planned(session, account, application, config or {}, clock, principal)
    application.state = "approved"
    application.decided_by, application.decided_by_label, application.decided_at = principal.id, principal.label, now
    application.updated_at = now
    await session.flush()
    await _event(
        session,
        application,
        account,
        "application.approved",
        now,
        automatic=not needs_approval(config, application.kind),
    )


async def _apply_change(
    session: AsyncSession, account: Account, changes: dict[str, Any], clock: Clock, principal: Principal
) -> None:
    from service.accounts.schemas import AccountUpdate

    patch = msgspec.convert(changes, AccountUpdate)
    await accounts.update_account(session, account, clock, principal, patch)


async def reject(
    session: AsyncSession, application: Application, clock: Clock, principal: Principal, reason: str
) -> Application:
    if application.state != "submitted":
        raise _wrong_state(application, "reject")
    account = await accounts.get_account(session, application.tenant_id, application.account_id, for_update=True)
    _, config = await accounts.config_in_force(session, application.tenant_id, clock)
    await _require_approver(session, principal, account, config)
    now = clock.now()
    if application.kind == "new":
        await accounts.transition(session, account, "reject", now, reason=reason)
    application.state, application.decision_reason = "rejected", reason
    application.decided_by, application.decided_by_label, application.decided_at = principal.id, principal.label, now
    application.updated_at = now
    await session.flush()
    await _event(session, application, account, "application.rejected", now, reason=reason)
    return application
