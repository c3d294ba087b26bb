"""Renewals: every live account answers each year whether it continues (継続希望, 小山高専 §4七).

A round is the tenant's declaration deadline of one year (小山高専: 31 March, for the fiscal year
after). When the tenant's deadline is scheduled (a configuration recorded, or the previous round
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

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.models import Account
from service.deadlines.models import Deadline
from service.deadlines.service import cancel
from service.events.service import emit
from service.kit.auth import Principal
from service.kit.calendar import end_of_day, fiscal_year, fiscal_year_end
from service.kit.clock import Clock
from service.kit.errors import Msg, ProblemError, conflict, not_found
from service.kit.permissions import Role
from service.renewals.models import ContinuationDeclaration, RenewalDeadline
from service.tenants.service import tenant_of

KINDS = (RenewalDeadline.REMINDER, RenewalDeadline.DUE)
ATTENTION = "renewal_overdue"
LIVE = ("active", "suspended")  # a closing account is ending; it answers for no next year
REMINDER_TIME = dt.time(9, 0)

_OPEN_DECLARATIONS = text(
    """
    INSERT INTO continuation_declarations (id, tenant_id, account_id, due_on, created_at, updated_at)
    SELECT gen_random_uuid(), a.tenant_id, a.id, :due_on, :now, :now
      FROM accounts a
     WHERE a.tenant_id = :tenant AND a.status IN ('active', 'suspended')
       AND (CAST(:account AS uuid) IS NULL OR a.id = CAST(:account AS uuid))
    ON CONFLICT (tenant_id, account_id, due_on) DO NOTHING
    """
)
# Each unanswered declaration of the round × each (kind, time, key) of the round's schedule.
_OPEN_DEADLINES = text(
    """
    INSERT INTO deadlines (id, tenant_id, kind, subject_kind, subject_id, due_at, payload, dedupe_key,
                           created_at, updated_at)
    SELECT gen_random_uuid(), d.tenant_id, s.kind, 'account', d.account_id::text, s.due_at,
           jsonb_build_object('due_on', CAST(:due_on AS date), 'days_before', s.days_before,
                              'declaration_id', d.id::text),
           s.dedupe_key, :now, :now
      FROM continuation_declarations d
     CROSS JOIN unnest(CAST(:kinds AS text[]), CAST(:due_ats AS timestamptz[]), CAST(:days AS integer[]),
                       CAST(:keys AS text[])) AS s(kind, due_at, days_before, dedupe_key)
     WHERE d.tenant_id = :tenant AND d.due_on = :due_on AND d.decision IS NULL
       AND (CAST(:account AS uuid) IS NULL OR d.account_id = CAST(:account AS uuid))
    ON CONFLICT (tenant_id, subject_kind, subject_id, dedupe_key) DO NOTHING
    """
)
# What the schedule no longer holds (another round, a reminder point taken out) and is yet to come.
_CANCEL_STALE = text(
    """
    UPDATE deadlines SET state = 'cancelled', updated_at = :now
     WHERE tenant_id = :tenant AND kind IN ('renewal.reminder', 'renewal.due') AND state = 'pending'
       AND due_at > :now AND NOT (dedupe_key = ANY (CAST(:keys AS text[])))
    """
)


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
    await session.execute(_CANCEL_STALE, {"tenant": tenant_id, "now": now, "keys": [key for *_, key in entries]})


async def join_open_round(session: AsyncSession, account: Account, now: dt.datetime) -> None:
    """An account that became active mid-year answers in the round already open."""
    due_on = await session.scalar(
        select(Deadline.payload["due_on"].astext)
        .where(
            Deadline.tenant_id == account.tenant_id,
            Deadline.kind == "continuation_declaration",
            Deadline.state == "pending",
        )
        .order_by(Deadline.due_at)
        .limit(1)
    )
    if due_on is None:
        return
    day = dt.date.fromisoformat(due_on)
    _, config = await accounts.config_on(session, account.tenant_id, day)
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
    params = {"tenant": tenant_id, "due_on": due_on, "now": now, "account": account_id}
    await session.execute(_OPEN_DECLARATIONS, params)
    if entries:
        kinds, due_ats, days, keys = (list(column) for column in zip(*entries, strict=True))
        await session.execute(
            _OPEN_DEADLINES, {**params, "kinds": kinds, "due_ats": due_ats, "days": days, "keys": keys}
        )


# ---- answering ---------------------------------------------------------------------------------------


async def get_declaration(
    session: AsyncSession, tenant_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool = False
) -> ContinuationDeclaration:
    query = select(ContinuationDeclaration).where(
        ContinuationDeclaration.tenant_id == tenant_id, ContinuationDeclaration.id == declaration_id
    )
    found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None:
        raise not_found("declaration")
    return found


async def declare(
    session: AsyncSession,
    declaration: ContinuationDeclaration,
    decision: str,
    note: str,
    clock: Clock,
    principal: Principal,
) -> None:
    if declaration.decision is not None:
        raise conflict("conflict.already-declared", decision=declaration.decision)
    account = await accounts.get_account(session, declaration.tenant_id, declaration.account_id, for_update=True)
    if account.status not in LIVE:
        raise accounts.illegal(account.status, "declare_continuation")
    _, config = await accounts.config_on(session, declaration.tenant_id, declaration.due_on)
    declarers = {
        Role(r) for r in (config or {}).get("renewal", {}).get("continuation_declaration", {}).get("declared_by", [])
    }
    if not principal.roles & (declarers | {Role.GENERAL_ADMINISTRATOR, Role.PLATFORM_OPERATOR}):
        raise ProblemError(
            "forbidden",
            Msg("detail.not-a-declarer"),
            extensions={"reason": "not-a-declarer", "declared_by": sorted(r.value for r in declarers)},
        )
    await accounts.require_change(session, principal, account)
    now = clock.now()
    declaration.decision, declaration.note = decision, note
    declaration.declared_at, declaration.declared_by, declaration.updated_at = now, principal.label, now
    await cancel(
        session, tenant_id=account.tenant_id, subject_kind="account", subject_id=str(account.id), now=now, kinds=KINDS
    )
    accounts.set_attention(account, ATTENTION, on=False)
    if decision == "discontinue":
        declaration.application_id = await _closure_application(session, declaration, account, clock, principal)
    await session.flush()
    await _event(session, declaration, account, "renewal.declared", now, decision=decision)


async def _closure_application(
    session: AsyncSession,
    declaration: ContinuationDeclaration,
    account: Account,
    clock: Clock,
    principal: Principal,
) -> uuid.UUID:
    from service.applications import service as applications
    from service.applications.schemas import ApplicationCreate

    form = ApplicationCreate(
        kind="closure",
        account_id=account.id,
        applicant_title=principal.label,
        closure_reason=f"継続希望の申し出（{declaration.due_on.isoformat()}期限）で継続しないとしたため",
        planned_end_on=fiscal_year_end(fiscal_year(declaration.due_on)),
    )
    application = await applications.create_application(session, account.tenant_id, clock, principal, form)
    await applications.submit(session, application, clock, principal)
    return application.id


# ---- the worker's part -------------------------------------------------------------------------------


async def _unanswered(session: AsyncSession, deadline: Deadline) -> tuple[ContinuationDeclaration, Account] | None:
    declaration = (
        await session.execute(
            select(ContinuationDeclaration)
            .where(
                ContinuationDeclaration.tenant_id == deadline.tenant_id,
                ContinuationDeclaration.id == uuid.UUID(deadline.payload["declaration_id"]),
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if declaration is None or declaration.decision is not None:
        return None
    account = await accounts.get_account(session, declaration.tenant_id, declaration.account_id, for_update=True)
    return (declaration, account) if account.status in LIVE else None


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
    accounts.set_attention(account, ATTENTION, on=True)
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
