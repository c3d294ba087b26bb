"""Contractor agreements: what they must say, who they let in, and what their end carries out.

When a unit outsources an account's operation (業務委託) or a designated manager (指定管理者) runs
it, the agreement must state what the tenant's configuration requires (愛媛県: 004 第2の3(2) ア–オ:
the security policy and guideline, posting staff and devices, copyright to the agency, login IDs,
the agency's prior check of posts). Each agreement is checked against the configuration in force
on its first day, and its findings are kept beside it.

A contractor user is linked to one agreement and has standing only on the days it runs, checked
on every request; inside it they reach only the operations made for them (CONTRACTOR_OPERATIONS)
and only the accounts it covers. At the end a worker revokes their access, asks the agency to
change each covered account's password (a deadline that escalates until it is recorded), and
marks the contractor's login IDs revoked or handed over as agreed. Every handler re-reads the
agreement, so a redelivered or late message does nothing twice.

Who records an agreement reaches its unit and every account it covers, on creation and on every
change of the coverage: a unit head covers their own units' accounts only, or their contractor
would reach another unit's. The refusal names each entry at fault (`/account_ids/N`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import LIVE, AttentionReason
from service.agreements.models import (
    Agreement,
    AgreementDeadline,
    AgreementPeriod,
    AgreementState,
    LoginId,
    LoginIdState,
)
from service.agreements.repository import AgreementsRepository
from service.agreements.schemas import AgreementCreate, AgreementUpdate, Clauses, LoginIdCreate, Renewal
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.identity.sessions import revoke_user_sessions
from service.kit.access import Scope, no_standing
from service.kit.auth import Principal
from service.kit.calendar import end_of_day
from service.kit.clock import Clock, local_today
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, ProblemError, conflict, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Permission
from service.tenants import service as tenants
from service.tenants.service import tenant_of

ENDING_DAYS_BEFORE = (30, 7)  # reminders before the end; the configuration names none
PASSWORD_GRACE = dt.timedelta(days=14)  # the agency's time to change the password after the end
NOTICE_TIME = dt.time(9, 0)

# Configuration clause -> the entry of `Clauses` that states it.
CLAUSE_ENTRY = {
    "security_policy_compliance": "security_policy_compliance",
    "posting_staff_and_devices": "posting_staff_and_devices",
    "copyright_to_agency": "copyright",
    "login_id_handling": "login_ids",
    "prior_check_of_posts": "prior_check_of_posts",
    "periodic_usage_report": "periodic_usage_report",
}

# ---- the compliance check --------------------------------------------------------------------------


def check(config: dict[str, Any] | None, clauses: Clauses) -> list[dict[str, Any]]:
    """Each required clause missing or not conforming, with the rule it breaks (its basis)."""
    outsourcing = (config or {}).get("outsourcing") or {}
    findings: list[dict[str, Any]] = []

    def finding(clause: str, code: str, basis: list[str], **params: Any) -> None:
        findings.append({"clause": clause, "code": code, "basis": basis, "params": params})

    if config is not None and not outsourcing.get("allowed", True):
        finding("outsourcing", "outsourcing-not-allowed", list(outsourcing.get("basis", [])))
    for rule in outsourcing.get("required_clauses", []):
        clause, basis = rule["clause"], list(rule.get("basis", []))
        entry = getattr(clauses, CLAUSE_ENTRY[clause])
        if entry is None or not entry.stated:
            finding(clause, "missing", basis)
            continue
        if not entry.article:
            finding(clause, "no-article", basis)
        if clause == "posting_staff_and_devices" and not entry.staff:
            finding(clause, "posting-staff-not-submitted", basis)
        if clause == "copyright_to_agency":
            if entry.owner is None:
                finding(clause, "copyright-owner-unstated", basis)
            elif entry.owner != "agency" and not outsourcing.get("other_copyright_owner_allowed", False):
                finding(clause, "copyright-not-agency", basis)
            elif entry.owner == "shared" and not entry.terms:
                finding(clause, "copyright-shared-without-terms", basis)
        if clause == "login_id_handling":
            if outsourcing.get("contractor_ids_exclusive") and not entry.contractor_ids_exclusive:
                finding(clause, "login-ids-not-exclusive", basis)
            expected = outsourcing.get("contractor_login_ids_at_end", "unspecified")
            if entry.at_end is None:
                finding(clause, "login-ids-end-unstated", basis)
            elif expected != "unspecified" and entry.at_end != expected:
                finding(clause, "login-ids-end-differs", basis, expected=expected)
    return findings


def render_findings(findings: list[dict[str, Any]], lang: Any) -> list[dict[str, Any]]:
    return [
        {
            "clause": f["clause"],
            "code": f["code"],
            "detail": Msg(
                f"finding.{f['code']}", {**f.get("params", {}), "label": Msg(f"clause.{f['clause']}")}
            ).render(lang),
            "basis": f["basis"],
        }
        for f in findings
    ]


async def _recheck(session: AsyncSession, agreement: Agreement) -> None:
    version, config = await guidelines.in_force_on(session, agreement.tenant_id, agreement.starts_on)
    findings = check(config, msgspec.convert(agreement.clauses, Clauses))
    agreement.findings, agreement.checked_version = findings, version
    agreement.finding_codes = sorted({f["code"] for f in findings})


# ---- reading ---------------------------------------------------------------------------------------


async def get_agreement(ctx: Ctx, agreement_id: uuid.UUID, *, lock: bool = False) -> Agreement:
    """The agreement, if the caller may see it (a contractor: their own only)."""
    agreement = await AgreementsRepository(ctx.session, ctx.tenant_id).get_or_404(agreement_id, lock=lock)
    await ctx.access.require(Permission.AGREEMENTS_READ, on=agreement)
    return agreement


async def list_agreements(
    ctx: Ctx, after: uuid.UUID | None, limit: int, **filters: Any
) -> tuple[list[Agreement], bool]:
    """The tenant's agreements; a contractor's own only."""
    within = await ctx.access.visible_agreements()
    return await AgreementsRepository(ctx.session, ctx.tenant_id).page_filtered(after, limit, within=within, **filters)


async def covered(session: AsyncSession, agreement: Agreement) -> list[uuid.UUID]:
    return await AgreementsRepository(session, agreement.tenant_id).covered(agreement.id)


async def accounts_and_periods(
    session: AsyncSession, agreements: list[Agreement]
) -> tuple[dict[uuid.UUID, list[uuid.UUID]], dict[uuid.UUID, list[AgreementPeriod]]]:
    """For a page of agreements: the accounts each covers and its periods, in one query each."""
    repository = AgreementsRepository(session, agreements[0].tenant_id)
    ids = [a.id for a in agreements]
    return await repository.covered_by_each(ids), await repository.periods_of_each(ids)


def in_force(agreement: Agreement, today: dt.date) -> bool:
    return agreement.state == AgreementState.ACTIVE and agreement.starts_on <= today <= agreement.ends_on


# ---- writing ---------------------------------------------------------------------------------------


async def _check_accounts(ctx: Ctx, account_ids: list[uuid.UUID]) -> None:
    """The accounts an agreement is to cover: each the tenant's (404), each one the caller may act
    on (403: a unit head covers their own units' accounts only, or their contractor would reach
    another unit's), each live, none twice (422). Every entry at fault is named by its pointer."""
    found = await accounts.found_among(ctx, account_ids)
    # Unknown here (or another tenant's): 404, as for any id that finds nothing.
    message = Msg("detail.not-found", {"resource": Msg("resource.account")})
    if missing := [
        FieldError(message, "not_found", f"/account_ids/{i}") for i, a in enumerate(account_ids) if a not in found
    ]:
        raise ProblemError("not-found", message, errors=missing)
    refusal: ProblemError | None = None
    outside = []
    for i, account_id in enumerate(account_ids):
        try:
            await ctx.access.require(Permission.AGREEMENTS_WRITE, on=found[account_id])
        except ProblemError as refused:
            refusal = refusal or refused
            outside.append(FieldError(Msg("agreement.account-outside-reach"), "outside_reach", f"/account_ids/{i}"))
    if refusal is not None:
        raise ProblemError(
            refusal.problem, refusal.detail, errors=outside, extensions=refusal.extensions, headers=refusal.headers
        )
    errors = []
    for i, account_id in enumerate(account_ids):
        if found[account_id].status not in LIVE:
            errors.append(FieldError(Msg("agreement.account-not-live"), "not_live", f"/account_ids/{i}"))
    if len(set(account_ids)) != len(account_ids):
        errors.append(FieldError(Msg("field.unique_items"), "unique_items", "/account_ids"))
    if errors:
        raise validation_failed(errors)


async def create_agreement(ctx: Ctx, data: AgreementCreate) -> Agreement:
    session, tenant_id, clock, principal = ctx.session, ctx.tenant_id, ctx.clock, ctx.principal
    if data.ends_on < data.starts_on:
        raise validation_failed([FieldError(Msg("agreement.period-order"), "period_order", "/ends_on")])
    unit = await tenants.get_unit(ctx, data.unit_id, pointer="/unit_id")
    await ctx.access.require(Permission.AGREEMENTS_WRITE, on=unit)
    await _check_accounts(ctx, data.account_ids)
    now = clock.now()
    agreement = Agreement(
        id=uuid7(),
        tenant_id=tenant_id,
        unit_id=data.unit_id,
        contractor_name=data.contractor_name,
        kind=data.kind,
        reference=data.reference,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        clauses=msgspec.to_builtins(data.clauses),
        state=AgreementState.ACTIVE,
        created_by=principal.label,
        created_at=now,
        updated_at=now,
    )
    await _recheck(session, agreement)
    session.add(agreement)
    await flush_or_conflict(session, conflict("conflict.reference-taken"))
    session.add(
        AgreementPeriod(
            id=uuid7(), tenant_id=tenant_id, agreement_id=agreement.id, starts_on=data.starts_on,
            ends_on=data.ends_on, reference=data.reference, recorded_by=principal.label, created_at=now,
        )
    )  # fmt: skip
    await AgreementsRepository(session, tenant_id).cover(agreement, data.account_ids)
    await session.flush()
    await _schedule_end(session, agreement, now)
    return agreement


async def update_agreement(ctx: Ctx, agreement: Agreement, patch: AgreementUpdate) -> None:
    """Correct the agreement. New covered accounts are checked as at its creation, every one of them,
    those kept too: the coverage is decided as a whole, by a caller who reaches all of it (a unit
    head may drop another unit's account from their agreement, not keep it or add one)."""
    session, clock = ctx.session, ctx.clock
    if agreement.state != AgreementState.ACTIVE:
        raise conflict("conflict.agreement-ended")
    await ctx.access.require(Permission.AGREEMENTS_WRITE, on=agreement)
    if patch.account_ids is not msgspec.UNSET:
        await _check_accounts(ctx, patch.account_ids)
    if patch.contractor_name is not msgspec.UNSET:
        agreement.contractor_name = patch.contractor_name
    if patch.clauses is not msgspec.UNSET:
        agreement.clauses = msgspec.to_builtins(patch.clauses)
    if patch.account_ids is not msgspec.UNSET:
        agreements = AgreementsRepository(session, ctx.tenant_id)
        current, wanted = set(await agreements.covered(agreement.id)), set(patch.account_ids)
        removed = current - wanted
        if removed and await agreements.has_login_ids_on(agreement, removed):
            raise conflict("conflict.login-ids-on-account")
        if removed:
            await agreements.uncover(agreement, removed)
        await agreements.cover(agreement, sorted(wanted - current))
    await _recheck(session, agreement)
    agreement.updated_at = clock.now()
    await session.flush()


async def renew(ctx: Ctx, agreement: Agreement, data: Renewal) -> None:
    session, clock, principal = ctx.session, ctx.clock, ctx.principal
    """A new period from the day after the current end; the earlier periods stay as history."""
    if agreement.state != AgreementState.ACTIVE:
        raise conflict("conflict.agreement-ended")
    await ctx.access.require(Permission.AGREEMENTS_WRITE, on=agreement)
    if data.ends_on <= agreement.ends_on:
        raise validation_failed([FieldError(Msg("agreement.renewal-not-later"), "not_later", "/ends_on")])
    now = clock.now()
    starts_on = agreement.ends_on + dt.timedelta(days=1)
    reference = data.reference or agreement.reference
    session.add(
        AgreementPeriod(
            id=uuid7(), tenant_id=agreement.tenant_id, agreement_id=agreement.id, starts_on=starts_on,
            ends_on=data.ends_on, reference=reference, recorded_by=principal.label, created_at=now,
        )
    )  # fmt: skip
    agreement.ends_on, agreement.reference, agreement.updated_at = data.ends_on, reference, now
    await flush_or_conflict(session, conflict("conflict.reference-taken"))
    await cancel(
        session, tenant_id=agreement.tenant_id, subject_kind="agreement", subject_id=str(agreement.id), now=now,
        kinds=(AgreementDeadline.ENDING, AgreementDeadline.END),
    )  # fmt: skip
    await _schedule_end(session, agreement, now)


async def add_login_id(ctx: Ctx, agreement: Agreement, data: LoginIdCreate) -> LoginId:
    session, clock = ctx.session, ctx.clock
    if agreement.state != AgreementState.ACTIVE:
        raise conflict("conflict.agreement-ended")
    await ctx.access.require(Permission.AGREEMENTS_WRITE, on=agreement)
    if data.account_id not in await covered(session, agreement):
        raise validation_failed([FieldError(Msg("agreement.not-covered"), "not_covered", "/account_id")])
    now = clock.now()
    login = LoginId(
        id=uuid7(), tenant_id=agreement.tenant_id, agreement_id=agreement.id, account_id=data.account_id,
        login_id=data.login_id, holder=data.holder, state=LoginIdState.ACTIVE, note=data.note, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(login)
    await flush_or_conflict(session, conflict("conflict.login-id-taken"))
    return login


async def login_ids(session: AsyncSession, agreement: Agreement, *, holder: str | None = None) -> list[LoginId]:
    return await AgreementsRepository(session, agreement.tenant_id).login_ids(agreement, holder)


async def visible_login_ids(ctx: Ctx, agreement: Agreement) -> list[LoginId]:
    """The agreement's login IDs; a contractor sees only the contractor's own."""
    confined = await ctx.access.visible_agreements() is not None
    return await login_ids(ctx.session, agreement, holder="contractor" if confined else None)


# ---- contractor standing and fence -----------------------------------------------------------------


async def contractor_standing(session: AsyncSession, principal: Principal, clock: Clock) -> Scope:
    """A contractor acts only on the days their agreement runs, and reaches only its accounts and
    the agreement itself (confined: the rest of the tenant does not exist for them)."""
    if principal.tenant_id is None:
        raise no_standing("no-active-agreement")
    agreements = AgreementsRepository(session, principal.tenant_id)
    agreement = await agreements.of_user(principal.id)
    if agreement is None:
        raise no_standing("no-active-agreement")
    today = local_today(clock, (await tenant_of(session, agreement.tenant_id)).time_zone)
    if agreement.state != AgreementState.ACTIVE or today > agreement.ends_on:
        raise no_standing("agreement-ended")
    if today < agreement.starts_on:
        raise no_standing("agreement-not-started")
    return Scope(
        account_ids=frozenset(await agreements.covered(agreement.id)),
        agreement_ids=frozenset({agreement.id}),
        confined=True,
    )


# ---- the end, carried out by the workers -----------------------------------------------------------


async def _schedule_end(session: AsyncSession, agreement: Agreement, now: dt.datetime) -> None:
    tenant = await tenant_of(session, agreement.tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    base = {"ends_on": agreement.ends_on.isoformat()}
    for days in ENDING_DAYS_BEFORE:
        at = dt.datetime.combine(agreement.ends_on - dt.timedelta(days=days), NOTICE_TIME, tzinfo=zone).astimezone(
            dt.UTC
        )
        if at > now:
            await schedule(
                session, tenant_id=agreement.tenant_id, kind=AgreementDeadline.ENDING, subject_kind="agreement",
                subject_id=str(agreement.id), due_at=at, now=now, payload={**base, "days_before": days},
                dedupe_key=f"ending:{agreement.ends_on.isoformat()}:-{days}d", revive=True,
            )  # fmt: skip
    await schedule(
        session, tenant_id=agreement.tenant_id, kind=AgreementDeadline.END, subject_kind="agreement", subject_id=str(agreement.id),
        due_at=end_of_day(agreement.ends_on, tenant.time_zone), now=now, payload=base,
        dedupe_key=f"end:{agreement.ends_on.isoformat()}", revive=True,
    )  # fmt: skip


async def _for_deadline(session: AsyncSession, deadline: Deadline) -> Agreement | None:
    """The agreement, locked, if it still ends when the deadline was scheduled for (a renewal moves it)."""
    agreements = AgreementsRepository(session, deadline.tenant_id)
    agreement = await agreements.get(uuid.UUID(deadline.subject_id), for_update=True)
    if agreement is None or agreement.state != AgreementState.ACTIVE:
        return None
    if agreement.ends_on.isoformat() != deadline.payload.get("ends_on"):
        return None
    return agreement


async def _event(session: AsyncSession, agreement: Agreement, kind: str, now: dt.datetime, **data: Any) -> None:
    await emit(
        session,
        tenant_id=agreement.tenant_id,
        type=kind,
        subject_kind="agreement",
        subject_id=str(agreement.id),
        data={
            "subject_label": f"{agreement.contractor_name}（{agreement.reference}）",
            "end_on": agreement.ends_on.isoformat(),
            "unit_id": str(agreement.unit_id),
            **data,
        },
        now=now,
    )


async def ending_soon(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    if (agreement := await _for_deadline(session, deadline)) is not None:
        await _event(session, agreement, "contract.ending", now, days_before=deadline.payload.get("days_before"))


async def end_reached(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    agreement = await _for_deadline(session, deadline)
    if agreement is None:
        return
    agreement.state, agreement.ended_at, agreement.updated_at = AgreementState.ENDED, now, now
    # Contractor access: gone at once (their standing already ends with the period; sessions too).
    for user_id in await AgreementsRepository(session, agreement.tenant_id).contractor_users(agreement):
        await revoke_user_sessions(session, user_id, now, "agreement ended")
    # The contractor's login IDs, as agreed (revoked where the agreement says nothing).
    at_end = (agreement.clauses.get("login_ids") or {}).get("at_end") or "revoke"
    fate = LoginIdState.REVOKED if at_end == "revoke" else LoginIdState.HANDED_OVER
    for login in await login_ids(session, agreement, holder="contractor"):
        if login.state == LoginIdState.ACTIVE:
            login.state, login.state_changed_at, login.updated_at = fate, now, now
    # Each covered account's password, changed by the agency: asked now, checked after the grace.
    for account_id in await covered(session, agreement):
        account = await accounts.get_account(session, agreement.tenant_id, account_id, for_update=True)
        if account.status not in LIVE:
            continue
        if AttentionReason.PASSWORD_CHANGE_NEEDED not in account.attention_reasons:
            accounts.set_attention(account, AttentionReason.PASSWORD_CHANGE_NEEDED, on=True)
            account.updated_at = now
        await schedule(
            session, tenant_id=agreement.tenant_id, kind=AgreementDeadline.PASSWORD_CHECK, subject_kind="account",
            subject_id=str(account_id), due_at=now + PASSWORD_GRACE, now=now,
            payload={"agreement_id": str(agreement.id), "ended_at": now.isoformat()},
            dedupe_key=f"contract-password:{agreement.id}:{agreement.ends_on.isoformat()}",
        )  # fmt: skip
    await session.flush()
    await _event(session, agreement, "contract.ended", now, login_ids_at_end=at_end)


async def password_check(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    """Escalate, and look again in a week, until the agency records the password change."""
    account = await accounts.get_account(session, deadline.tenant_id, uuid.UUID(deadline.subject_id), for_update=True)
    ended_at = dt.datetime.fromisoformat(str(deadline.payload["ended_at"]))
    changed = account.last_password_change_at is not None and account.last_password_change_at >= ended_at
    if changed or account.status not in LIVE:
        return
    agreement = await AgreementsRepository(session, deadline.tenant_id).get_or_404(
        uuid.UUID(str(deadline.payload["agreement_id"]))
    )
    await _event(session, agreement, "contract.password_change_overdue", now, account_id=str(account.id),
                 account_label=account.display_name)  # fmt: skip
    await schedule(
        session, tenant_id=deadline.tenant_id, kind=AgreementDeadline.PASSWORD_CHECK, subject_kind="account",
        subject_id=deadline.subject_id, due_at=now + dt.timedelta(days=7), now=now, payload=deadline.payload,
        dedupe_key=f"contract-password:{agreement.id}:{now.date().isoformat()}",
    )  # fmt: skip
