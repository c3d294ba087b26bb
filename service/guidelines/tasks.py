"""Deadlines the guideline configuration sets for the whole tenant.

The annual continuation declaration (継続希望, e.g. 小山高専: by the end of March) gets a deadline at
the end of its day in the tenant's time zone, and a reminder at 09:00 on each configured day
before it. They are re-derived whenever a new configuration version is recorded (stale ones are
cancelled) and, when the deadline passes, for the following year. Per-account declarations build
on these.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines.models import ContinuationDeadline
from service.guidelines.repository import GuidelineRepository
from service.kit.calendar import end_of_day, next_yearly
from service.kit.registry import Registry
from service.renewals import service as renewals
from service.tenants.service import tenant_of

REMINDER_TIME = dt.time(9, 0)


async def sync_continuation_deadlines(
    session: AsyncSession, tenant_id: uuid.UUID, now: dt.datetime, *, running: str | None = None
) -> list[str]:
    """Schedule the next declaration deadline and its reminders; cancel any that no longer apply
    (except `running`, the deadline being carried out). Returns the dedupe keys now in force."""
    tenant = await tenant_of(session, tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    repo = GuidelineRepository(session, tenant_id)
    current = await repo.in_force(today)
    keys: list[str] = []
    opened = False
    if current is not None:
        declaration = current.document["renewal"]["continuation_declaration"]
        deadline = declaration["deadline"]
        if declaration["required"] and deadline is not None:
            due_day = next_yearly(deadline["month"], deadline["day"], today - dt.timedelta(days=1))
            # The rules in force on the deadline day decide its reminders (a version may change them).
            at_due = await repo.in_force(due_day) or current
            reminders = at_due.document["renewal"]["continuation_declaration"]["reminder_days_before"]
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
            await renewals.sync_round(session, tenant_id, due_day, list(reminders), tenant.time_zone, now)
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
        await renewals.sync_round(session, tenant_id, None, [], tenant.time_zone, now)
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


async def remind(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
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


def register(registry: Registry) -> None:
    registry.deadline_kinds(
        ContinuationDeadline,
        {ContinuationDeadline.DEADLINE: deadline_reached, ContinuationDeadline.REMINDER: remind},
    )
