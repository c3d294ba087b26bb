"""Renewals: every live account answers each year whether it continues (継続希望, 小山高専 §4七).

A round is the tenant's declaration deadline of one year (小山高専: 31 March, for the fiscal year
after): a deadline at the end of its day in the tenant's time zone, with reminders at 09:00 on each
configured day before it, derived again whenever the configuration changes and, when it passes,
for the following year. When the tenant's deadline is scheduled (a configuration recorded, or the previous round
ending), the round opens: each active or suspended account gets a declaration row, reminder
deadlines at the configured points and a deadline of its own, all in set-based statements. An
account opened later joins the open round. A reminder reaches the account's declarers only while
it has not answered; an account still silent at the end is flagged and escalated to the general
administrators. "Discontinue" opens a closure application (submitted, so the tenant's approval
rules apply) ending with the fiscal year.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import AccountOpened
from service.accounts.models import CONTINUING, Account, AttentionReason
from service.applications import service as applications
from service.applications.models import ApplicationKind
from service.applications.schemas import ApplicationCreate
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, next_pending_payload, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.guidelines.hooks import GuidelineChanged
from service.kit.calendar import end_of_day, fiscal_year, fiscal_year_end, next_yearly
from service.kit.context import Ctx
from service.kit.errors import Msg, conflict
from service.kit.permissions import Permission
from service.renewals.models import ContinuationDeadline, ContinuationDeclaration, Decision, RenewalDeadline
from service.renewals.repository import DeclarationsRepository
from service.tenants.service import tenant_of

KINDS = (RenewalDeadline.REMINDER, RenewalDeadline.DUE)
REMINDER_TIME = dt.time(9, 0)


def _schedule(
    due_on: dt.date, reminder_days: list[int], time_zone: str, now: dt.datetime
) -> list[tuple[str, dt.datetime, int, str]]:
    """(kind, due_at, days_before, dedupe_key) of a round, leaving out what is already past."""
    zone = ZoneInfo(time_zone)
    entries = [(RenewalDeadline.DUE, end_of_day(due_on, time_zone), 0, f"renewal:{due_on.isoformat()}:due")]
    for days in sorted(set(reminder_days), reverse=True):
        at = dt.datetime.combine(due_on - dt.timedelta(days=days), REMINDER_TIME, tzinfo=zone).astimezone(dt.UTC)
        entries.append((RenewalDeadline.REMINDER, at, days, f"renewal:{due_on.isoformat()}:-{days}d"))
    return [e for e in entries if e[1] > now]


async def sync_round(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    due_on: dt.date | None,
    reminder_days: list[int],
    time_zone: str,
    now: dt.datetime,
) -> None:
    """Open the round due on `due_on` (None: the tenant asks for no declarations) and cancel what
    the schedule no longer holds. Idempotent: run again, it adds and cancels nothing."""
    entries = _schedule(due_on, reminder_days, time_zone, now) if due_on else []
    if due_on is not None:
        await _open(session, tenant_id, due_on, entries, now, account_id=None)
    await DeclarationsRepository(session, tenant_id).cancel_stale_deadlines([key for *_, key in entries], now)


async def account_opened(fact: AccountOpened) -> None:
    """An account that became active mid-year answers in the round already open."""
    await join_open_round(fact.session, fact.account, fact.now)


async def join_open_round(session: AsyncSession, account: Account, now: dt.datetime) -> None:
    payload = await next_pending_payload(session, account.tenant_id, ContinuationDeadline.DEADLINE)
    if payload is None:
        return
    day = dt.date.fromisoformat(str(payload["due_on"]))
    _, config = await guidelines.in_force_on(session, account.tenant_id, day)
    rule = (config or {}).get("renewal", {}).get("continuation_declaration", {})
    if not rule.get("required"):
        return
    zone = (await tenant_of(session, account.tenant_id)).time_zone
    entries = _schedule(day, list(rule.get("reminder_days_before", [])), zone, now)
    await _open(session, account.tenant_id, day, entries, now, account_id=account.id)


async def _open(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    due_on: dt.date,
    entries: list[tuple[str, dt.datetime, int, str]],
    now: dt.datetime,
    *,
    account_id: uuid.UUID | None,
) -> None:
    declarations = DeclarationsRepository(session, tenant_id)
    await declarations.open_round(due_on, now, account_id=account_id)
    await declarations.schedule_round(due_on, entries, now, account_id=account_id)


# ---- the tenant-wide deadline, which opens each round -------------------------------------


async def sync_continuation_deadlines(
    session: AsyncSession, tenant_id: uuid.UUID, now: dt.datetime, *, running: str | None = None
) -> list[str]:
    """Schedule the next declaration deadline and its reminders; cancel any that no longer apply
    (except `running`, the deadline being carried out). Returns the dedupe keys now in force."""
    tenant = await tenant_of(session, tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    _, current = await guidelines.in_force_on(session, tenant_id, today)
    keys: list[str] = []
    opened = False
    if current is not None:
        declaration = current["renewal"]["continuation_declaration"]
        deadline = declaration["deadline"]
        if declaration["required"] and deadline is not None:
            due_day = next_yearly(deadline["month"], deadline["day"], today - dt.timedelta(days=1))
            # The rules in force on the deadline day decide its reminders (a version may change them).
            at_due = (await guidelines.in_force_on(session, tenant_id, due_day))[1] or current
            reminders = at_due["renewal"]["continuation_declaration"]["reminder_days_before"]
            key = f"continuation:{due_day.isoformat()}"
            keys.append(key)
            await schedule(
                session,
                tenant_id=tenant_id,
                kind=ContinuationDeadline.DEADLINE,
                subject_kind="tenant",
                subject_id=str(tenant_id),
                due_at=end_of_day(due_day, tenant.time_zone),
                dedupe_key=key,
                now=now,
                payload={"due_on": due_day.isoformat()},
            )
            # Each live account's own declaration, reminders and deadline for this round.
            await sync_round(session, tenant_id, due_day, list(reminders), tenant.time_zone, now)
            opened = True
            for days in reminders:
                remind_at = dt.datetime.combine(due_day - dt.timedelta(days=days), REMINDER_TIME, tzinfo=zone)
                if remind_at <= now:
                    continue
                reminder_key = f"{key}:-{days}d"
                keys.append(reminder_key)
                await schedule(
                    session,
                    tenant_id=tenant_id,
                    kind=ContinuationDeadline.REMINDER,
                    subject_kind="tenant",
                    subject_id=str(tenant_id),
                    due_at=remind_at.astimezone(dt.UTC),
                    dedupe_key=reminder_key,
                    now=now,
                    payload={"due_on": due_day.isoformat(), "days_before": days},
                )
    if not opened:  # no declarations asked for (any more): the accounts' rounds stop too
        await sync_round(session, tenant_id, None, [], tenant.time_zone, now)
    await cancel(
        session,
        tenant_id=tenant_id,
        subject_kind="tenant",
        subject_id=str(tenant_id),
        now=now,
        kinds=(ContinuationDeadline.DEADLINE, ContinuationDeadline.REMINDER),
        keep_keys=frozenset([*keys, *([running] if running else [])]),
        # What is already due keeps its course (it may be running right now, next to this).
        due_after=now,
    )
    return keys


async def remind_tenant(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    await emit(
        session,
        tenant_id=deadline.tenant_id,
        type="deadline.due",
        subject_kind="tenant",
        subject_id=deadline.subject_id,
        data={
            "deadline_kind": ContinuationDeadline.DEADLINE,
            "due_on": deadline.payload["due_on"],
            "days_before": deadline.payload["days_before"],
        },
        now=now,
    )


async def deadline_reached(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    await emit(
        session,
        tenant_id=deadline.tenant_id,
        type="deadline.due",
        subject_kind="tenant",
        subject_id=deadline.subject_id,
        data={"deadline_kind": ContinuationDeadline.DEADLINE, "due_on": deadline.payload["due_on"], "days_before": 0},
        now=now,
    )
    # The next year's round: derived as of just after this deadline.
    after = max(now, deadline.due_at + dt.timedelta(seconds=1))
    await sync_continuation_deadlines(session, deadline.tenant_id, after, running=deadline.dedupe_key)


async def guideline_changed(fact: GuidelineChanged) -> None:
    """A configuration was recorded (or a preset applied again): the declaration deadline it sets,
    and the round it opens, are derived again (idempotent)."""
    await sync_continuation_deadlines(fact.session, fact.tenant_id, fact.now)


# ---- answering ---------------------------------------------------------------------------------------


async def get_declaration(ctx: Ctx, declaration_id: uuid.UUID, *, lock: bool = False) -> ContinuationDeclaration:
    """With `lock`, in the lock order (docs/ARCHITECTURE.md): its account first, then the declaration."""
    declarations = DeclarationsRepository(ctx.session, ctx.tenant_id)
    declaration = await declarations.get_or_404(declaration_id)
    if lock:
        await accounts.get_account(ctx.session, ctx.tenant_id, declaration.account_id, for_update=True)
        declaration = await declarations.get_or_404(declaration_id, lock=True)
    return declaration


async def list_declarations(
    ctx: Ctx, after: uuid.UUID | None, limit: int, **filters: Any
) -> tuple[list[ContinuationDeclaration], bool]:
    return await DeclarationsRepository(ctx.session, ctx.tenant_id).page_filtered(after, limit, **filters)


async def declare(ctx: Ctx, declaration: ContinuationDeclaration, decision: Decision, note: str) -> None:
    if declaration.decision is not None:
        raise conflict("conflict.already-declared", decision=declaration.decision)
    account = await accounts.get(ctx, declaration.account_id, lock=True)
    if account.status not in CONTINUING:
        raise accounts.illegal(account.status, "declare_continuation")
    session = ctx.session
    _, config = await guidelines.in_force_on(session, declaration.tenant_id, declaration.due_on)
    declarers = sorted((config or {}).get("renewal", {}).get("continuation_declaration", {}).get("declared_by", []))
    await ctx.access.require_role(
        declarers, reason="not-a-declarer", message=Msg("detail.not-a-declarer"), extensions={"declared_by": declarers}
    )
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    now = ctx.now()
    declaration.decision, declaration.note = decision, note
    declaration.declared_at, declaration.declared_by, declaration.updated_at = now, ctx.access.label, now
    await cancel(
        session, tenant_id=account.tenant_id, subject_kind="account", subject_id=str(account.id), now=now, kinds=KINDS
    )
    accounts.set_attention(account, AttentionReason.RENEWAL_OVERDUE, on=False)
    if decision == Decision.DISCONTINUE:
        declaration.application_id = await _closure_application(ctx, declaration, account)
    await session.flush()
    await _event(session, declaration, account, "renewal.declared", now, decision=decision)


async def _closure_application(ctx: Ctx, declaration: ContinuationDeclaration, account: Account) -> uuid.UUID:
    """Not continuing: a closure application ending with the fiscal year, submitted (the tenant's
    approval rules apply as to any)."""
    form = ApplicationCreate(
        kind=ApplicationKind.CLOSURE,
        account_id=account.id,
        applicant_title=ctx.access.label,
        closure_reason=f"継続希望の申し出（{declaration.due_on.isoformat()}期限）で継続しないとしたため",
        planned_end_on=fiscal_year_end(fiscal_year(declaration.due_on)),
    )
    application = await applications.create_application(ctx, form)
    await applications.submit(ctx, application)
    return application.id


# ---- the worker's part -------------------------------------------------------------------------------


async def _unanswered(session: AsyncSession, deadline: Deadline) -> tuple[ContinuationDeclaration, Account] | None:
    declarations = DeclarationsRepository(session, deadline.tenant_id)
    declaration_id = uuid.UUID(deadline.payload["declaration_id"])
    declaration = await declarations.get(declaration_id)
    if declaration is None or declaration.decision is not None:
        return None
    # The lock order: the account, then the declaration (read again under its lock).
    account = await accounts.get_account(session, declaration.tenant_id, declaration.account_id, for_update=True)
    declaration = await declarations.get(declaration_id, for_update=True)
    if declaration is None or declaration.decision is not None:
        return None
    return (declaration, account) if account.status in CONTINUING else None


async def remind(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    found = await _unanswered(session, deadline)
    if found is not None:
        await _event(session, *found, "renewal.reminder", now, days_before=int(deadline.payload["days_before"]))


async def due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    found = await _unanswered(session, deadline)
    if found is None:
        return
    declaration, account = found
    declaration.overdue_at, declaration.updated_at = now, now
    accounts.set_attention(account, AttentionReason.RENEWAL_OVERDUE, on=True)
    account.updated_at = now
    await session.flush()
    await _event(session, declaration, account, "renewal.overdue", now)


async def _event(
    session: AsyncSession,
    declaration: ContinuationDeclaration,
    account: Account,
    kind: str,
    now: dt.datetime,
    **data: Any,
) -> None:
    await emit(
        session,
        tenant_id=declaration.tenant_id,
        type=kind,
        subject_kind="account",
        subject_id=str(account.id),
        data={
            "declaration_id": str(declaration.id),
            "account_id": str(account.id),
            "subject_label": account.display_name,
            "due_on": declaration.due_on.isoformat(),
            **data,
        },
        now=now,
    )
