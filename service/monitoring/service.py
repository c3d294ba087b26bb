"""Monitoring and inactivity: the two things that fall due when nothing happens.

Monitoring (愛媛県 表14): the tenant sets how often someone looks at each account's posts and
comments (daily, weekly, monthly; irregular or none mean no reminders). Each look is recorded with
what it found; when the period since the last one (or the opening) runs out, the responsible role
is reminded and the account flagged until the next record.

Inactivity (小山高専 §4十二, 愛媛県 第2の7(4)): no post recorded for longer than the tenant's
threshold flags the account for review and tells the general administrators, who may order its
closure (a closure application). A post clears the flag and restarts the count.

Periodic reviews (愛媛県 第2の3(1)ア(ク), 第2の7(4); 第2の7(3)): every so many months the account is
reviewed against its purpose and targets (PDCA: renewal.periodic_review) and its security settings
are checked (security.settings_review). Each review is recorded; when the interval since the last
one (or the opening) runs out, the general administrators and the unit's heads are reminded and
the account flagged until the next record.

Each is one pending deadline per account, keyed by the record it counts from, so a newer record
replaces it and a redelivered one finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import AccountOpened, PostRecorded
from service.accounts.models import IN_SERVICE, Account, AttentionReason
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.kit.calendar import add_months, start_of_day
from service.kit.clock import local_today
from service.kit.context import Ctx
from service.kit.ids import uuid7
from service.kit.permissions import Permission
from service.monitoring.models import AccountReview, MonitoringDeadline, MonitoringRecord
from service.monitoring.repository import MonitoringRepository, ReviewsRepository, insert_history
from service.tenants.models import Tenant
from service.tenants.service import tenant_of

NOTICE_TIME = dt.time(9, 0)
# A review kind -> (configuration section, rule, the flag that switches it on).
REVIEWS = {
    "periodic_review": ("renewal", "periodic_review", "required"),
    "settings_review": ("security", "settings_review", "periodic"),
}


def review_months(config: dict[str, Any], kind: str) -> int | None:
    """The tenant's interval for a kind of review, or None where it asks for none."""
    section, name, switch = REVIEWS[kind]
    rule = config.get(section, {}).get(name) or {}
    return int(rule["interval_months"]) if rule.get(switch) and rule.get("interval_months") else None


def next_look(frequency: str, since: dt.date) -> dt.date | None:
    if frequency == "daily":
        return since + dt.timedelta(days=1)
    if frequency == "weekly":
        return since + dt.timedelta(days=7)
    if frequency == "monthly":
        return add_months(since, 1)
    return None  # irregular or none: nobody to remind


async def _last_look(session: AsyncSession, account: Account) -> dt.date | None:
    last = await MonitoringRepository(session, account.tenant_id).last_look(account.id)
    return last or account.opened_on


def _last_activity(account: Account, zone: str) -> dt.date | None:
    if account.last_post_at is not None:
        return account.last_post_at.astimezone(ZoneInfo(zone)).date()
    return account.opened_on


async def _reschedule(
    session: AsyncSession,
    account: Account,
    tenant: Tenant,
    kind: str,
    since: dt.date | None,
    due_on: dt.date | None,
    now: dt.datetime,
) -> None:
    key = f"{kind}:{since.isoformat()}" if since and due_on else None
    await cancel(
        session,
        tenant_id=account.tenant_id,
        subject_kind="account",
        subject_id=str(account.id),
        now=now,
        kinds=(kind,),
        keep_keys=frozenset([key] if key else []),
    )
    if key is None or since is None or due_on is None:
        return
    due_at = dt.datetime.combine(due_on, NOTICE_TIME, tzinfo=ZoneInfo(tenant.time_zone)).astimezone(dt.UTC)
    await schedule(
        session,
        tenant_id=account.tenant_id,
        kind=kind,
        subject_kind="account",
        subject_id=str(account.id),
        due_at=max(due_at, now),
        dedupe_key=key,
        now=now,
        payload={"since": since.isoformat(), "due_on": due_on.isoformat()},
        revive=True,
    )


async def schedule_monitoring(
    session: AsyncSession, account: Account, tenant: Tenant, config: dict[str, Any], now: dt.datetime
) -> None:
    since = await _last_look(session, account)
    frequency = config.get("monitoring", {}).get("frequency", "none")
    await _reschedule(
        session,
        account,
        tenant,
        MonitoringDeadline.MONITORING,
        since,
        next_look(frequency, since) if since else None,
        now,
    )


async def schedule_inactivity(
    session: AsyncSession, account: Account, tenant: Tenant, config: dict[str, Any], now: dt.datetime
) -> None:
    since = _last_activity(account, tenant.time_zone)
    days = config.get("inactivity", {}).get("threshold_days")
    due_on = since + dt.timedelta(days=int(days)) if since and days else None
    await _reschedule(session, account, tenant, MonitoringDeadline.INACTIVITY, since, due_on, now)


async def _last_review(session: AsyncSession, account: Account, kind: str) -> dt.date | None:
    last = await ReviewsRepository(session, account.tenant_id).last_review(account.id, kind)
    return last or account.opened_on


async def schedule_review(
    session: AsyncSession, account: Account, tenant: Tenant, config: dict[str, Any], kind: str, now: dt.datetime
) -> None:
    since = await _last_review(session, account, kind)
    months = review_months(config, kind)
    due_on = add_months(since, months) if since and months else None
    await _reschedule(session, account, tenant, f"{kind}.due", since, due_on, now)


async def account_opened(fact: AccountOpened) -> None:
    """An account opens: its monitoring, inactivity and review periods start counting."""
    session, account, config, now = fact.session, fact.account, fact.config, fact.now
    tenant = await tenant_of(session, account.tenant_id)
    await schedule_monitoring(session, account, tenant, config, now)
    await schedule_inactivity(session, account, tenant, config, now)
    for kind in REVIEWS:
        await schedule_review(session, account, tenant, config, kind, now)


async def post_recorded(fact: PostRecorded) -> None:
    """A post: the account is active again, and the inactivity count starts over."""
    session, account, clock = fact.session, fact.account, fact.clock
    accounts.set_attention(account, AttentionReason.INACTIVE, on=False)
    tenant = await tenant_of(session, account.tenant_id)
    _, config = await guidelines.in_force_today(session, account.tenant_id, clock)
    await schedule_inactivity(session, account, tenant, config or {}, clock.now())


async def record_monitoring(
    ctx: Ctx,
    account: Account,
    *,
    issues_found: bool,
    findings: str,
    monitored_on: dt.date | None,
) -> MonitoringRecord:
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    session, clock = ctx.session, ctx.clock
    if account.status not in IN_SERVICE:
        raise accounts.illegal(account.status, "record_monitoring")
    tenant, day = await accounts.day_of_record(session, account, clock, monitored_on, "/monitored_on")
    today = local_today(clock, tenant.time_zone)
    now = clock.now()
    record = MonitoringRecord(
        id=uuid7(),
        tenant_id=account.tenant_id,
        account_id=account.id,
        monitored_on=day,
        issues_found=issues_found,
        findings=findings,
        recorded_by=ctx.access.label,
        created_at=now,
    )
    session.add(record)
    looked_at = now if day == today else start_of_day(day, tenant.time_zone)
    if account.last_monitored_at is None or looked_at > account.last_monitored_at:
        account.last_monitored_at = looked_at
    accounts.set_attention(account, AttentionReason.MONITORING_OVERDUE, on=False)
    account.updated_at = now
    await session.flush()
    _, config = await guidelines.in_force_today(session, account.tenant_id, clock)
    await schedule_monitoring(session, account, tenant, config or {}, now)
    return record


async def record_review(
    ctx: Ctx,
    account: Account,
    *,
    kind: str,
    action_needed: bool,
    findings: str,
    reviewed_on: dt.date | None,
) -> AccountReview:
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    session, clock = ctx.session, ctx.clock
    if account.status not in IN_SERVICE:
        raise accounts.illegal(account.status, "record_review")
    tenant, day = await accounts.day_of_record(session, account, clock, reviewed_on, "/reviewed_on")
    now = clock.now()
    review = AccountReview(
        id=uuid7(),
        tenant_id=account.tenant_id,
        account_id=account.id,
        kind=kind,
        reviewed_on=day,
        action_needed=action_needed,
        findings=findings,
        recorded_by=ctx.access.label,
        created_at=now,
    )
    session.add(review)
    accounts.set_attention(account, AttentionReason(f"{kind}_due"), on=False)
    account.updated_at = now
    await session.flush()
    _, config = await guidelines.in_force_today(session, account.tenant_id, clock)
    await schedule_review(session, account, tenant, config or {}, kind, now)
    return review


# ---- the worker's part -------------------------------------------------------------------------------


async def monitoring_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    account = await accounts.get_account(session, deadline.tenant_id, uuid.UUID(deadline.subject_id), for_update=True)
    if account.status not in IN_SERVICE:
        return
    tenant = await tenant_of(session, account.tenant_id)
    today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    _, config = await guidelines.in_force_on(session, account.tenant_id, today)
    frequency = (config or {}).get("monitoring", {}).get("frequency", "none")
    since = await _last_look(session, account)
    due = next_look(frequency, since) if since else None
    if due is None or due > today:
        return  # looked at since, or no longer asked for
    accounts.set_attention(account, AttentionReason.MONITORING_OVERDUE, on=True)
    account.updated_at = now
    await session.flush()
    await _event(session, account, "monitoring.due", now, since=since.isoformat() if since else "", frequency=frequency)


async def inactivity_check(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    account = await accounts.get_account(session, deadline.tenant_id, uuid.UUID(deadline.subject_id), for_update=True)
    if account.status not in IN_SERVICE:
        return
    tenant = await tenant_of(session, account.tenant_id)
    today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    _, config = await guidelines.in_force_on(session, account.tenant_id, today)
    days = (config or {}).get("inactivity", {}).get("threshold_days")
    since = _last_activity(account, tenant.time_zone)
    if not days or since is None or since + dt.timedelta(days=int(days)) > today:
        return  # posted since, or no longer asked for
    accounts.set_attention(account, AttentionReason.INACTIVE, on=True)
    account.updated_at = now
    await session.flush()
    await _event(session, account, "account.inactive", now, since=since.isoformat(), threshold_days=int(days))


async def review_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    kind = deadline.kind.removesuffix(".due")
    account = await accounts.get_account(session, deadline.tenant_id, uuid.UUID(deadline.subject_id), for_update=True)
    if account.status not in IN_SERVICE:
        return
    tenant = await tenant_of(session, account.tenant_id)
    today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    _, config = await guidelines.in_force_on(session, account.tenant_id, today)
    months = review_months(config or {}, kind)
    since = await _last_review(session, account, kind)
    if months is None or since is None or add_months(since, months) > today:
        return  # reviewed since, or no longer asked for
    accounts.set_attention(account, AttentionReason(f"{kind}_due"), on=True)
    account.updated_at = now
    await session.flush()
    await _event(session, account, "review.due", now, review=kind, deadline_kind=kind,
                 since=since.isoformat(), interval_months=months)  # fmt: skip


async def _event(session: AsyncSession, account: Account, kind: str, now: dt.datetime, **data: Any) -> None:
    await emit(
        session,
        tenant_id=account.tenant_id,
        type=kind,
        subject_kind="account",
        subject_id=str(account.id),
        data={"account_id": str(account.id), "subject_label": account.display_name, **data},
        now=now,
    )


async def records_of(ctx: Ctx, account: Account) -> list[MonitoringRecord]:
    return await MonitoringRepository(ctx.session, ctx.tenant_id).of_account(account.id)


async def reviews_of(ctx: Ctx, account: Account, kind: str | None) -> list[AccountReview]:
    return await ReviewsRepository(ctx.session, ctx.tenant_id).of_account(account.id, kind)


# ---- history brought in (imports) --------------------------------------------------------------------


async def record_history(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, dt.date, bool, str]],
    by: str,
    now: dt.datetime,
) -> int:
    """Monitoring records an agency kept before Koshiki (account, day, issues found, findings),
    set-based; one already recorded (the same account, day and findings) is left as it is. How many
    were new. The accounts' last look and their next reminder are the caller's (`rescheduled`)."""
    unique = {(a, day, findings): issues for a, day, issues, findings in rows}
    prepared = [(uuid7(), a, day, issues, findings) for (a, day, findings), issues in unique.items()]
    return await insert_history(session, tenant_id, prepared, by, now)


async def rescheduled(session: AsyncSession, account: Account, config: dict[str, Any], now: dt.datetime) -> None:
    """An account's monitoring reminder counted again from its latest record (history came in)."""
    tenant = await tenant_of(session, account.tenant_id)
    await schedule_monitoring(session, account, tenant, config, now)
