"""Closures with a grace period: announced, confirmed step by step, completed by a worker.

An approved closure starts the tenant's announcement period (愛媛県: 30 days; none elsewhere, so
the end is the same day). The account shows as closing with its last day in the register;
announcements fall due at the configured points before the end and are recorded when made. The
end deadline completes the closure only when every closure step of the tenant is confirmed; if
one is not, it escalates (mail, webhook event, "needs attention") and checks again every week,
never silently. Confirming the last step completes a closure whose end has passed. A withdrawal
before completion cancels every pending deadline of it. After completion the record stays
(formerly official) and the people's data on it is purged when the tenant's retention runs out.

Every deadline handler re-reads the closure and does nothing unless it still calls for it, so a
redelivered or late message never acts twice.

Lock order. A closure belongs to its account's aggregate, and every path locks the account first,
then the closure (then the closure's deadlines, which cancelling updates): withdrawing, confirming
a step, recording an announcement (`get_closure(lock=True)` locks both, in that order), closing at
once (the account, then its open closures), approving a closure application (the account, then the
new closure), and the worker's handlers (`_for_deadline`, `purge`). The deadline worker locks the
account a deadline belongs to before the deadline itself (`service.deadlines.tasks`). One order
everywhere: two of these cannot wait for each other, they queue on the account.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import IN_SERVICE, Account, AttentionReason
from service.closures.hooks import STEP_CONFIRMING, StepConfirming
from service.closures.models import Closure, ClosureAnnouncement, ClosureDeadline, ClosureKind, ClosureState
from service.closures.repository import ClosuresRepository
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.kit.calendar import end_of_day
from service.kit.clock import local_today
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, ProblemError, conflict, not_found, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Permission, Role
from service.tenants.models import Tenant
from service.tenants.service import tenant_of

NOTICE_TIME = dt.time(9, 0)  # reminders and re-checks go out at the start of a working day
RECHECK_EVERY = dt.timedelta(days=7)
# Steps a record in the system proves: the approved closure application is the form or report.
PROVEN_BY_APPLICATION = frozenset({"closure_application", "closure_report"})
PURGED = "(purged)"


def _at(day: dt.date, time_zone: str, time: dt.time = NOTICE_TIME) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(time_zone)).astimezone(dt.UTC)


async def get_closure(ctx: Ctx, closure_id: uuid.UUID, *, lock: bool = False) -> Closure:
    """The closure; with `lock`, its account locked first and then the closure (the lock order)."""
    closure = await ClosuresRepository(ctx.session, ctx.tenant_id).get_or_404(closure_id)
    if lock:
        await _lock(ctx.session, closure)
    return closure


async def _lock(session: AsyncSession, closure: Closure) -> Account:
    """Lock the closure's aggregate in its order: the account, then the closure, read afresh under
    its lock (it may have changed since it was read: withdrawn, superseded, completed)."""
    account = await accounts.get_account(session, closure.tenant_id, closure.account_id, for_update=True)
    await session.refresh(closure, with_for_update=True)
    return account


async def list_closures(
    ctx: Ctx, before: uuid.UUID | None, limit: int, *, state: str | None, account_id: uuid.UUID | None
) -> tuple[list[Closure], bool]:
    return await ClosuresRepository(ctx.session, ctx.tenant_id).newest_first(
        before, limit, state=state, account_id=account_id
    )


async def announcements_of(session: AsyncSession, closure: Closure) -> list[ClosureAnnouncement]:
    return await ClosuresRepository(session, closure.tenant_id).announcements(closure)


# ---- starting --------------------------------------------------------------------------------------


async def start_planned(
    ctx: Ctx,
    account: Account,
    config: dict[str, Any],
    *,
    application_id: uuid.UUID,
    planned_end_on: dt.date | None,
    reason: str,
) -> Closure:
    """An approved closure application: announce until the end date, or end today where the
    tenant sets no announcement period."""
    session, clock, now = ctx.session, ctx.clock, ctx.now()
    tenant = await tenant_of(session, account.tenant_id)
    today = local_today(clock, tenant.time_zone)
    rules = config.get("closure", {})
    announcement = rules.get("announcement", {"required": False, "period_days": None, "points_days_before": []})
    if planned_end_on is not None:
        end_on = planned_end_on
    elif announcement.get("required"):
        end_on = today + dt.timedelta(days=int(announcement.get("period_days") or 0))
    else:
        end_on = today
    end_on = max(end_on, today)
    points = sorted({int(d) for d in announcement.get("points_days_before") or []}, reverse=True)
    if not announcement.get("required"):
        points = []
    steps = [
        {
            "step": s["step"],
            "label": s.get("label"),
            "basis": s.get("basis", []),
            "confirmed_at": now.isoformat() if s["step"] in PROVEN_BY_APPLICATION else None,
            "confirmed_by": f"application:{application_id}" if s["step"] in PROVEN_BY_APPLICATION else None,
        }
        for s in rules.get("steps", [])
    ]
    closure = Closure(
        id=uuid7(),
        tenant_id=account.tenant_id,
        account_id=account.id,
        application_id=application_id,
        kind=ClosureKind.PLANNED,
        state=ClosureState.ANNOUNCING,
        end_on=end_on,
        reason=reason,
        steps=steps,
        announcement_days=points,
        started_by=ctx.access.label,
        created_at=now,
        updated_at=now,
    )
    session.add(closure)
    await flush_or_conflict(session, conflict("conflict.closure-open"))
    account.closing_on = end_on
    await accounts.transition(session, account, "announce_closure", now, end_on=end_on.isoformat())
    await _event(session, closure, account, "closure.announced", now)
    for days in points:
        day = end_on - dt.timedelta(days=days)
        if day >= today:  # a point falling today is due at once if its hour has passed
            due_at = max(_at(day, tenant.time_zone), now)
            await _schedule(
                session, closure, ClosureDeadline.ANNOUNCEMENT, due_at, f"announce:-{days}d", now, days_before=days
            )
    await _schedule(session, closure, ClosureDeadline.END, end_of_day(end_on, tenant.time_zone), "end", now)
    if end_on == today and not points and not closure.outstanding():
        await _complete(session, closure, account, tenant, today, now)  # nothing to wait for
    return closure


async def close_now(ctx: Ctx, account: Account, reason: str) -> Closure:
    """Close at once on a serious threat: a general administrator may always, the roles the
    configuration names (closure.immediate.by) where it allows immediate closure."""
    _, config = await guidelines.in_force_today(ctx.session, ctx.tenant_id, ctx.clock)
    config = config or {}
    immediate = config.get("closure", {}).get("immediate", {"allowed": False, "by": []})
    allowed = [str(r) for r in immediate.get("by", [])] if immediate.get("allowed") else []
    await ctx.access.require_role(
        allowed,
        reason="not-allowed-to-close-now",
        message=Msg("detail.not-allowed-to-close-now"),
        extensions={"allowed_roles": sorted({*allowed, "general_administrator", "platform_operator"})},
    )
    await ctx.access.require(Permission.APPLICATIONS_DECIDE, on=account)
    if account.status not in IN_SERVICE:
        raise accounts.illegal(account.status, "close_now")
    session, clock = ctx.session, ctx.clock
    now = clock.now()
    tenant = await tenant_of(session, account.tenant_id)
    today = local_today(clock, tenant.time_zone)
    # A closure under way is overtaken, not completed: the immediate one is the account's closure.
    for open_closure in await ClosuresRepository(session, account.tenant_id).open_of(account.id):
        await _cancel_deadlines(
            session,
            open_closure,
            now,
            kinds=(ClosureDeadline.ANNOUNCEMENT, ClosureDeadline.END, ClosureDeadline.RECHECK),
        )
        open_closure.state, open_closure.updated_at = ClosureState.SUPERSEDED, now
        await session.flush()
    closure = Closure(
        id=uuid7(),
        tenant_id=account.tenant_id,
        account_id=account.id,
        kind=ClosureKind.IMMEDIATE,
        state=ClosureState.COMPLETED,
        end_on=today,
        reason=reason,
        steps=[],
        announcement_days=[],
        started_by=ctx.access.label,
        completed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(closure)
    await session.flush()
    account.closing_on, account.closed_on = None, today
    await _retire(session, account, now)
    await accounts.transition(session, account, "close_now", now, reason=reason)
    await _event(session, closure, account, "closure.completed", now)
    await _schedule_purge(session, closure, tenant, config, today, now)
    return closure


# ---- during the grace period -----------------------------------------------------------------------


async def record_announcement(
    ctx: Ctx,
    closure: Closure,
    *,
    channel: str,
    days_before: int | None,
    url: str | None,
    note: str,
    made_on: dt.date | None,
) -> ClosureAnnouncement:
    await accounts.get(ctx, closure.account_id, permission=Permission.ACCOUNTS_WRITE)
    session, clock, principal = ctx.session, ctx.clock, ctx.principal
    if not closure.open:
        raise _wrong_state(closure, "announce")
    if days_before is not None and days_before not in closure.announcement_days:
        points = ", ".join(str(d) for d in closure.announcement_days) or "-"
        message = Msg("closure.not-a-point", {"points": points})
        raise validation_failed([FieldError(message, "not_an_announcement_point", "/days_before")])
    now = clock.now()
    tenant = await tenant_of(session, closure.tenant_id)
    announcement = ClosureAnnouncement(
        id=uuid7(),
        tenant_id=closure.tenant_id,
        closure_id=closure.id,
        days_before=days_before,
        channel=channel,
        url=url,
        note=note,
        made_on=made_on or local_today(clock, tenant.time_zone),
        recorded_by=principal.label,
        created_at=now,
    )
    session.add(announcement)
    await session.flush()
    # Every point announced: the "announce the stop" step is proven by these records.
    made = {a.days_before for a in await announcements_of(session, closure)}
    if set(closure.announcement_days) <= made:
        _confirm(closure, "announce_stop", "system:announcements", now)
    closure.updated_at = now
    await session.flush()
    return announcement


async def confirm_step(ctx: Ctx, closure: Closure, step: str) -> None:
    account = await accounts.get(ctx, closure.account_id, lock=True, permission=Permission.ACCOUNTS_WRITE)
    session, clock, principal = ctx.session, ctx.clock, ctx.principal
    if not closure.open:
        raise _wrong_state(closure, "confirm_step")
    if step not in {s["step"] for s in closure.steps}:
        raise not_found("closure-step")
    if step == "unit_head_confirms_deletion":
        await ctx.access.require_role(
            [Role.UNIT_HEAD],
            on=account,
            reason="unit-head-confirms-deletion",
            message=Msg("detail.unit-head-confirms"),
        )
    await STEP_CONFIRMING.publish(StepConfirming(session, account, step))
    now = clock.now()
    _confirm(closure, step, principal.label, now)
    closure.updated_at = now
    await session.flush()
    tenant = await tenant_of(session, closure.tenant_id)
    today = local_today(clock, tenant.time_zone)
    if closure.state == ClosureState.AWAITING_STEPS and not closure.outstanding():
        await _cancel_deadlines(session, closure, now, kinds=(ClosureDeadline.RECHECK,))
        await _complete(session, closure, account, tenant, today, now)


async def withdraw(ctx: Ctx, closure: Closure, reason: str) -> None:
    account = await accounts.get(ctx, closure.account_id, lock=True, permission=Permission.APPLICATIONS_DECIDE)
    session, now = ctx.session, ctx.now()
    if not closure.open or closure.kind != ClosureKind.PLANNED:
        raise _wrong_state(closure, "withdraw")
    _, config = await guidelines.in_force_today(session, ctx.tenant_id, ctx.clock)
    if not (config or {}).get("closure", {}).get("withdrawal_allowed", True):
        raise conflict("conflict.closure-withdrawal-not-allowed")
    await _cancel_deadlines(session, closure, now)
    closure.state, closure.withdrawn_at, closure.withdrawal_reason, closure.updated_at = (
        ClosureState.WITHDRAWN,
        now,
        reason,
        now,
    )
    await session.flush()
    account.closing_on = None
    accounts.set_attention(account, AttentionReason.CLOSURE_STEPS_OUTSTANDING, on=False)
    await accounts.transition(session, account, "withdraw_closure", now, reason=reason)
    await _event(session, closure, account, "closure.withdrawn", now, reason=reason)


# ---- the worker's part -----------------------------------------------------------------------------


async def _for_deadline(session: AsyncSession, deadline: Deadline) -> tuple[Closure, Account] | None:
    closure = await ClosuresRepository(session, deadline.tenant_id).get(uuid.UUID(deadline.subject_id))
    if closure is None:
        return None
    return closure, await _lock(session, closure)


async def announcement_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    found = await _for_deadline(session, deadline)
    if found is None or found[0].state != ClosureState.ANNOUNCING:
        return
    closure, account = found
    days = int(deadline.payload["days_before"])
    if any(a.days_before == days for a in await announcements_of(session, closure)):
        return  # made early and recorded: nobody needs reminding
    await _event(session, closure, account, "closure.announcement_due", now, days_before=days)


async def end_reached(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    found = await _for_deadline(session, deadline)
    if found is None or found[0].state != ClosureState.ANNOUNCING:
        return  # withdrawn, completed early, or already waiting for its steps
    closure, account = found
    await _complete_or_escalate(session, closure, account, now)


async def recheck(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    found = await _for_deadline(session, deadline)
    if found is None or found[0].state != ClosureState.AWAITING_STEPS:
        return
    await _complete_or_escalate(session, *found, now)


async def purge(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    """The tenant's retention has run out: the people named on the closed account go."""
    closure = await ClosuresRepository(session, deadline.tenant_id).get(uuid.UUID(deadline.subject_id))
    if closure is None:
        return
    account = await _lock(session, closure)
    if closure.purged_at is not None or closure.state != ClosureState.COMPLETED:
        return
    if account.status != "closed":
        return  # registered again since (a reopened record keeps its people)
    await accounts.purge_people(session, account, PURGED, now)
    closure.purged_at, closure.started_by, closure.updated_at = now, PURGED, now
    closure.steps = [
        {**s, "confirmed_by": PURGED}
        if s.get("confirmed_by") and not str(s["confirmed_by"]).startswith(("system", "application:"))
        else dict(s)
        for s in closure.steps
    ]
    await session.flush()


async def _complete_or_escalate(session: AsyncSession, closure: Closure, account: Account, now: dt.datetime) -> None:
    tenant = await tenant_of(session, closure.tenant_id)
    today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    if not closure.outstanding():
        await _complete(session, closure, account, tenant, today, now)
        return
    closure.state, closure.escalations, closure.updated_at = ClosureState.AWAITING_STEPS, closure.escalations + 1, now
    accounts.set_attention(account, AttentionReason.CLOSURE_STEPS_OUTSTANDING, on=True)
    account.updated_at = now
    await session.flush()
    await _event(
        session, closure, account, "closure.steps_outstanding", now, outstanding=", ".join(closure.outstanding())
    )
    next_check = _at(today, tenant.time_zone) + RECHECK_EVERY
    await _schedule(session, closure, ClosureDeadline.RECHECK, next_check, f"recheck:{closure.escalations}", now)


async def _complete(
    session: AsyncSession, closure: Closure, account: Account, tenant: Tenant, today: dt.date, now: dt.datetime
) -> None:
    """Closed on its last day when it ends on time, else on the day its last step was confirmed."""
    on_time = closure.state == ClosureState.ANNOUNCING
    closure.state, closure.completed_at, closure.updated_at = ClosureState.COMPLETED, now, now
    await session.flush()
    account.closing_on, account.closed_on = None, min(today, closure.end_on) if on_time else today
    await _retire(session, account, now)
    await accounts.transition(session, account, "complete_closure", now)
    await _event(session, closure, account, "closure.completed", now)
    _, config = await guidelines.in_force_on(session, closure.tenant_id, today)
    await _schedule_purge(session, closure, tenant, config or {}, today, now)


async def _schedule_purge(
    session: AsyncSession, closure: Closure, tenant: Tenant, config: dict[str, Any], today: dt.date, now: dt.datetime
) -> None:
    days = config.get("retention", {}).get("personal_data_days_after_closure")
    if days is None:
        return
    await _schedule(
        session,
        closure,
        ClosureDeadline.PURGE,
        _at(today + dt.timedelta(days=int(days)), tenant.time_zone),
        "purge",
        now,
    )


# ---- small pieces -----------------------------------------------------------------------------------


def _confirm(closure: Closure, step: str, by: str, now: dt.datetime) -> None:
    """Mark a step confirmed. New dicts in a new list: the loaded value stays as it was, so the
    column is written and the audit trail sees the difference."""
    if not any(s["step"] == step and not s.get("confirmed_at") for s in closure.steps):
        return
    closure.steps = [
        {**s, "confirmed_at": now.isoformat(), "confirmed_by": by}
        if s["step"] == step and not s.get("confirmed_at")
        else dict(s)
        for s in closure.steps
    ]


async def _retire(session: AsyncSession, account: Account, now: dt.datetime) -> None:
    """A closed account needs no more attention: its flags go, and whatever was still to fall due
    for it (renewal, monitoring, inactivity, password rotation) is cancelled."""
    account.attention_reasons, account.needs_attention = [], False
    await cancel(session, tenant_id=account.tenant_id, subject_kind="account", subject_id=str(account.id), now=now)


def _wrong_state(closure: Closure, action: str) -> ProblemError:
    return ProblemError(
        "conflict",
        Msg("conflict.closure-state", {"state": closure.state, "action": action}),
        extensions={"reason": "illegal-transition", "current_state": closure.state},
    )


async def _schedule(
    session: AsyncSession, closure: Closure, kind: str, due_at: dt.datetime, key: str, now: dt.datetime, **payload: Any
) -> None:
    await schedule(
        session,
        tenant_id=closure.tenant_id,
        kind=kind,
        subject_kind="closure",
        subject_id=str(closure.id),
        due_at=due_at,
        dedupe_key=key,
        now=now,
        payload={"account_id": str(closure.account_id), **payload},
    )


async def _cancel_deadlines(
    session: AsyncSession, closure: Closure, now: dt.datetime, kinds: tuple[str, ...] | None = None
) -> None:
    await cancel(
        session, tenant_id=closure.tenant_id, subject_kind="closure", subject_id=str(closure.id), now=now, kinds=kinds
    )


async def _event(
    session: AsyncSession, closure: Closure, account: Account, kind: str, now: dt.datetime, **data: Any
) -> None:
    await emit(
        session,
        tenant_id=closure.tenant_id,
        type=kind,
        subject_kind="closure",
        subject_id=str(closure.id),
        data={
            "account_id": str(account.id),
            "subject_label": account.display_name,
            "end_on": closure.end_on.isoformat(),
            **data,
        },
        now=now,
    )
