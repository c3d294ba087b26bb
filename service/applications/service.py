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
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import PeoplePurged
from service.accounts.models import CONTINUING, Account, AccountStatus
from service.accounts.schemas import AccountUpdate
from service.applications.models import OPEN, Application, ApplicationKind, ApplicationState
from service.applications.repository import ApplicationsRepository
from service.applications.schemas import ApplicationCreate
from service.closures import service as closures
from service.events.service import emit
from service.guidelines import service as guidelines
from service.kit.clock import local_today
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import Msg, ProblemError, conflict
from service.kit.ids import uuid7
from service.kit.permissions import Permission, Role
from service.tenants.service import tenant_of

K, S = ApplicationKind, ApplicationState
KIND_LABELS = {K.NEW: ("新規", "new account"), K.CHANGE: ("変更", "change"), K.CLOSURE: ("廃止", "closure")}
# state -> the actions it allows (anything else is a 409 naming these).
ACTIONS: dict[ApplicationState, list[str]] = {
    S.DRAFT: ["submit", "withdraw"],
    S.SUBMITTED: ["approve", "reject", "withdraw"],
}


def _wrong_state(application: Application, action: str) -> ProblemError:
    allowed = ACTIONS.get(application.state, [])
    return ProblemError(
        "conflict",
        Msg(
            "conflict.application-state",
            {"state": application.state, "action": action, "allowed": ", ".join(allowed) or "-"},
        ),
        extensions={"reason": "illegal-transition", "current_state": application.state, "allowed_actions": allowed},
    )


async def get_application(ctx: Ctx, application_id: uuid.UUID, *, lock: bool = True) -> Application:
    """With `lock`, in the lock order (docs/ARCHITECTURE.md): its account first, then the application."""
    applications = ApplicationsRepository(ctx.session, ctx.tenant_id)
    application = await applications.get_or_404(application_id)
    if lock:
        await accounts.get_account(ctx.session, ctx.tenant_id, application.account_id, for_update=True)
        application = await applications.get_or_404(application_id, lock=True)
    return application


async def list_applications(
    ctx: Ctx, before: uuid.UUID | None, limit: int, **filters: Any
) -> tuple[list[Application], bool]:
    """Everyone who may read applications sees the tenant's all (as with the register itself);
    who may act on one is narrower and checked on each action."""
    return await ApplicationsRepository(ctx.session, ctx.tenant_id).newest_first(before, limit, **filters)


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


async def create_application(ctx: Ctx, data: ApplicationCreate) -> Application:
    account = await accounts.get(ctx, data.account_id, lock=True, permission=Permission.APPLICATIONS_WRITE)
    if data.kind == K.NEW and account.status != AccountStatus.DRAFT:
        raise accounts.illegal(account.status, "apply_new")
    if data.kind in {K.CHANGE, K.CLOSURE} and account.status not in CONTINUING:
        raise accounts.illegal(account.status, f"apply_{data.kind}")
    now = ctx.now()
    application = Application(
        id=uuid7(),
        tenant_id=ctx.tenant_id,
        account_id=account.id,
        kind=data.kind,
        state=S.DRAFT,
        form=msgspec.to_builtins(data),
        created_by=ctx.principal.id if ctx.principal.kind == "user" else None,
        created_by_label=ctx.access.label,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(application)
    await flush_or_conflict(ctx.session, conflict("conflict.application-open"))
    return application


async def submit(ctx: Ctx, application: Application) -> Application:
    """Submit a draft. Where the configuration does not make this kind of application need
    approval (`opening.application.required` / `kinds`), submitting it also carries it out, with
    the same rules checked as an approval would."""
    if application.state != S.DRAFT:
        raise _wrong_state(application, "submit")
    account = await accounts.get(ctx, application.account_id, lock=True, permission=Permission.APPLICATIONS_WRITE)
    session = ctx.session
    version, config = await guidelines.in_force_today(session, application.tenant_id, ctx.clock)
    now = ctx.now()
    automatic = not needs_approval(config, application.kind) or await _decides_itself(ctx, account, config, application)
    if application.kind == K.NEW:
        # Nothing to wait for: refuse now, while the account is still a draft, if rules are unmet.
        if automatic and (unmet := await accounts.unmet_opening_rules(session, account, config)):
            raise accounts.rules_not_met(unmet)
        await accounts.transition(session, account, "submit", now)
    application.state, application.submitted_at, application.updated_at = S.SUBMITTED, now, now
    await session.flush()
    approver = ((config or {}).get("opening", {}).get("application") or {}).get("approver_role")
    await _event(session, application, account, "application.submitted", now, approver_role=approver)
    if automatic:
        await _carry_out(ctx, application, account, version, config, automatic=True)
    return application


def needs_approval(config: dict[str, Any] | None, kind: ApplicationKind) -> bool:
    """Without a configuration every application waits for a decision: the safe reading. A closure
    the configuration does not put under the application's approval is still decided by the roles
    it names (`closure.decided_by`): it waits for one of them, unless one of them submits it."""
    rule = (config or {}).get("opening", {}).get("application")
    if rule is None:
        return True
    if bool(rule["required"]) and kind in rule["kinds"]:
        return True
    return kind == K.CLOSURE and bool(_closure_deciders(config))


def _closure_deciders(config: dict[str, Any] | None) -> list[str]:
    return list((config or {}).get("closure", {}).get("decided_by") or [])


def deciders(config: dict[str, Any] | None, kind: ApplicationKind) -> list[str]:
    """Who decides an application of this kind: the application's approver where the configuration
    puts the kind under approval (小山高専: the 統括管理者, closures included), else for a closure the
    roles that decide one (北海道教育委員会: the 所属長); a general administrator always may."""
    rule = (config or {}).get("opening", {}).get("application") or {}
    if kind == K.CLOSURE and not (rule.get("required") and kind in rule.get("kinds", [])):
        return _closure_deciders(config)
    approver = rule.get("approver_role")
    return [approver] if approver else []


async def _decides_itself(ctx: Ctx, account: Account, config: dict[str, Any] | None, application: Application) -> bool:
    """A closure submitted by one who decides closures (under no separate approval) is decided by
    that submission."""
    rule = (config or {}).get("opening", {}).get("application") or {}
    if application.kind != K.CLOSURE or (rule.get("required") and application.kind in rule.get("kinds", [])):
        return False
    try:
        await _require_approver(ctx, account, config, application.kind)
    except ProblemError:
        return False
    return True


async def withdraw(ctx: Ctx, application: Application) -> Application:
    if application.state not in OPEN:
        raise _wrong_state(application, "withdraw")
    account = await accounts.get(ctx, application.account_id, lock=True, permission=Permission.APPLICATIONS_WRITE)
    session, now = ctx.session, ctx.now()
    if application.kind == K.NEW and account.status == AccountStatus.PENDING_APPROVAL:
        await accounts.transition(session, account, "withdraw", now)
    was_submitted = application.state == S.SUBMITTED
    application.state, application.updated_at = S.WITHDRAWN, now
    await session.flush()
    if was_submitted:  # a draft was never announced, so its withdrawal is nobody's news
        await _event(session, application, account, "application.withdrawn", now)
    return application


async def _require_approver(ctx: Ctx, account: Account, config: dict[str, Any] | None, kind: ApplicationKind) -> None:
    """The configuration's decider decides (a unit head for their own units); a general
    administrator always may."""
    roles = deciders(config, kind)
    named = ", ".join(roles) or "general_administrator"
    await ctx.access.require_role(
        [Role(r) for r in roles],
        on=account,
        reason="not-the-approver",
        message=Msg("detail.not-the-approver", {"approver": named}),
        extensions={"approver_role": roles[0] if roles else "general_administrator"},
    )


async def approve(ctx: Ctx, application: Application) -> Application:
    if application.state != S.SUBMITTED:
        raise _wrong_state(application, "approve")
    account = await accounts.get(ctx, application.account_id, lock=True)
    version, config = await guidelines.in_force_today(ctx.session, application.tenant_id, ctx.clock)
    await _require_approver(ctx, account, config, application.kind)
    await _carry_out(ctx, application, account, version, config)
    return application


async def _carry_out(
    ctx: Ctx,
    application: Application,
    account: Account,
    version: int | None,
    config: dict[str, Any] | None,
    *,
    automatic: bool = False,
) -> None:
    """Do what an approved application asks, after checking the rules that guard it."""
    session, now, principal = ctx.session, ctx.now(), ctx.principal
    tenant = await tenant_of(session, account.tenant_id)
    today = local_today(ctx.clock, tenant.time_zone)
    if application.kind == K.NEW:
        if unmet := await accounts.unmet_opening_rules(session, account, config):
            raise accounts.rules_not_met(unmet)
        await accounts.open_account(session, account, config or {}, today, now, guideline_version=version)
    elif application.kind == K.CHANGE:
        await accounts.update_account(
            ctx, account, msgspec.convert(application.form.get("changes") or {}, AccountUpdate)
        )
    else:
        planned = application.form.get("planned_end_on")
        await closures.start_planned(
            ctx, account, config or {}, application_id=application.id,
            planned_end_on=dt.date.fromisoformat(planned) if planned else None,
            reason=str(application.form.get("closure_reason") or ""),
        )  # fmt: skip
    application.state = S.APPROVED
    application.decided_by = principal.id if principal.kind == "user" else None
    application.decided_by_label, application.decided_at = ctx.access.label, now
    application.updated_at = now
    await session.flush()
    await _event(
        session,
        application,
        account,
        "application.approved",
        now,
        automatic=automatic,
    )


async def reject(ctx: Ctx, application: Application, reason: str) -> Application:
    if application.state != S.SUBMITTED:
        raise _wrong_state(application, "reject")
    account = await accounts.get(ctx, application.account_id, lock=True)
    session, principal, now = ctx.session, ctx.principal, ctx.now()
    _, config = await guidelines.in_force_today(session, application.tenant_id, ctx.clock)
    await _require_approver(ctx, account, config, application.kind)
    if application.kind == K.NEW:
        await accounts.transition(session, account, "reject", now, reason=reason)
    application.state, application.decision_reason = S.REJECTED, reason
    application.decided_by = principal.id if principal.kind == "user" else None
    application.decided_by_label, application.decided_at = ctx.access.label, now
    application.updated_at = now
    await session.flush()
    await _event(session, application, account, "application.rejected", now, reason=reason)
    return application


async def forget_people(fact: PeoplePurged) -> None:
    """The closed account's retention ran out: its applications forget who made and decided them."""
    await ApplicationsRepository(fact.session, fact.account.tenant_id).forget_people(fact.account.id, fact.marker)
