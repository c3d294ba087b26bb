"""The security of each social media account, as far as a register can keep it.

The system never holds an account's password. It checks a candidate against the tenant's rules
(`security.account_password`) and forgets it; it records that a password was changed, when, and
whether the person attests that the new one meets the rules; and it reminds the account's people
when the tenant's rotation period runs out (none where the tenant asks no periodic change).
When a named manager or operator leaves (their user is disabled) and the tenant's rules ask for it
(愛媛県 第2の3(4)ア), the account is flagged for a manager change and a password change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts import service as accounts
from service.accounts.hooks import AccountOpened
from service.accounts.models import ENDED, IN_SERVICE, Account, AttentionReason
from service.deadlines.models import Deadline
from service.deadlines.service import cancel, schedule
from service.events.service import emit
from service.guidelines import service as guidelines
from service.identity.passwords import is_common, is_repetitive
from service.kit.calendar import add_months, start_of_day
from service.kit.clock import local_today
from service.kit.context import Ctx
from service.kit.errors import Msg
from service.kit.ids import uuid7
from service.kit.permissions import Permission
from service.security.models import PasswordChange, SecurityDeadline
from service.security.repository import PasswordChangesRepository, insert_history
from service.tenants.models import Tenant
from service.tenants.service import tenant_of
from service.users.hooks import UserLeft

NOTICE_TIME = dt.time(9, 0)
# Why an account needs attention, as far as its password and people go.


def _symbol(ch: str) -> bool:
    return not ch.isalnum() and not ch.isspace()


_CLASS_TESTS: dict[str, Callable[[str], bool]] = {
    "upper": str.isupper,
    "lower": str.islower,
    "digit": str.isdigit,
    "symbol": _symbol,
}
_CLASS_NAMES = {
    "upper": ("英大文字", "upper-case letters"),
    "lower": ("英小文字", "lower-case letters"),
    "digit": ("数字", "digits"),
    "symbol": ("記号", "symbols"),
}


def policy_failures(rules: dict[str, Any], password: str, names: list[str]) -> list[tuple[str, Msg]]:
    """Which of the tenant's rules the candidate breaks: (rule, message). Empty: it meets them."""
    failures: list[tuple[str, Msg]] = []
    if rules.get("min_length") and len(password) < rules["min_length"]:
        failures.append(("min_length", Msg("account-password.too-short", {"limit": rules["min_length"]})))
    missing = [c for c in rules.get("required_classes", []) if not any(_CLASS_TESTS[c](ch) for ch in password)]
    if missing:
        failures.append(
            (
                "required_classes",
                Msg(
                    "account-password.missing-classes",
                    {
                        "classes": "、".join(_CLASS_NAMES[c][0] for c in missing),
                        "classes_en": ", ".join(_CLASS_NAMES[c][1] for c in missing),
                    },
                ),
            )
        )
    if rules.get("avoid_guessable"):
        lowered = password.lower()
        if is_common(password) or is_repetitive(password):
            failures.append(("avoid_guessable", Msg("account-password.guessable")))
        elif any(len(name) >= 3 and name.lower() in lowered for name in names):
            failures.append(("avoid_guessable", Msg("account-password.contains-name")))
    return failures


async def check(
    ctx: Ctx, password: str, account_id: uuid.UUID | None
) -> tuple[int | None, list[tuple[str, Msg]], list[str]]:
    version, config = await guidelines.in_force_today(ctx.session, ctx.tenant_id, ctx.clock)
    rules = (config or {}).get("security", {}).get("account_password", {})
    names: list[str] = []
    if account_id is not None:
        account = await accounts.get(ctx, account_id)
        names = [n for n in (account.handle, account.display_name) if n]
    return version, policy_failures(rules, password, names), rules.get("basis", [])


# ---- changes, and the rotation they restart ------------------------------------------------------


async def record_change(
    ctx: Ctx, account: Account, *, meets_policy: bool, changed_on: dt.date | None, note: str
) -> PasswordChange:
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    if account.status in ENDED:
        raise accounts.illegal(account.status, "record_password_change")
    session, clock = ctx.session, ctx.clock
    tenant, day = await accounts.day_of_record(session, account, clock, changed_on, "/changed_on")
    today = local_today(clock, tenant.time_zone)
    now = clock.now()
    version, config = await guidelines.in_force_today(session, account.tenant_id, clock)
    change = PasswordChange(
        id=uuid7(),
        tenant_id=account.tenant_id,
        account_id=account.id,
        changed_on=day,
        meets_policy=meets_policy,
        policy_version=version,
        recorded_by=ctx.access.label,
        note=note,
        created_at=now,
    )
    session.add(change)
    changed_at = now if day == today else start_of_day(day, tenant.time_zone)
    if account.last_password_change_at is None or changed_at > account.last_password_change_at:
        account.last_password_change_at = changed_at
    accounts.set_attention(
        account,
        AttentionReason.PASSWORD_ROTATION_DUE,
        AttentionReason.PASSWORD_CHANGE_NEEDED,
        AttentionReason.PASSWORD_POLICY_NOT_MET,
        on=False,
    )
    accounts.set_attention(account, AttentionReason.PASSWORD_POLICY_NOT_MET, on=not meets_policy)
    account.updated_at = now
    await session.flush()
    await schedule_rotation(session, account, tenant, config or {}, now)
    return change


async def schedule_rotation(
    session: AsyncSession, account: Account, tenant: Tenant, config: dict[str, Any], now: dt.datetime
) -> None:
    """The next rotation reminder, counted from the last recorded change (or the opening); none
    where the tenant asks no periodic change."""
    rotation = config.get("security", {}).get("account_password", {}).get("rotation", {"mode": "none"})
    since = await _last_change(session, account) if rotation.get("mode") == "periodic" else None
    # Keyed by the change it counts from: a second change the same day keeps the reminder it has.
    key = f"rotation:{since.isoformat()}" if since else None
    await cancel(
        session,
        tenant_id=account.tenant_id,
        subject_kind="account",
        subject_id=str(account.id),
        now=now,
        kinds=(SecurityDeadline.ROTATION,),
        keep_keys=frozenset([key] if key else []),
    )
    if since is None or key is None:
        return
    due_on = add_months(since, int(rotation["interval_months"]))
    due_at = dt.datetime.combine(due_on, NOTICE_TIME, tzinfo=ZoneInfo(tenant.time_zone)).astimezone(dt.UTC)
    await schedule(
        session,
        tenant_id=account.tenant_id,
        kind=SecurityDeadline.ROTATION,
        subject_kind="account",
        subject_id=str(account.id),
        due_at=max(due_at, now),
        dedupe_key=key,
        now=now,
        payload={"due_on": due_on.isoformat(), "since": since.isoformat()},
        revive=True,
    )


async def account_opened(fact: AccountOpened) -> None:
    """An account opens: its password's rotation period starts counting."""
    tenant = await tenant_of(fact.session, fact.account.tenant_id)
    await schedule_rotation(fact.session, fact.account, tenant, fact.config, fact.now)


async def _last_change(session: AsyncSession, account: Account) -> dt.date | None:
    last = await PasswordChangesRepository(session, account.tenant_id).last_changed_on(account.id)
    return last or account.opened_on


async def changes_of(ctx: Ctx, account: Account) -> list[PasswordChange]:
    return await PasswordChangesRepository(ctx.session, ctx.tenant_id).of_account(account.id)


async def rotation_due(session: AsyncSession, deadline: Deadline, now: dt.datetime) -> None:
    account = await accounts.get_account(session, deadline.tenant_id, uuid.UUID(deadline.subject_id), for_update=True)
    if account.status not in IN_SERVICE:
        return
    tenant = await tenant_of(session, account.tenant_id)
    today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    _, config = await guidelines.in_force_on(session, account.tenant_id, today)
    rotation = (config or {}).get("security", {}).get("account_password", {}).get("rotation", {"mode": "none"})
    since = await _last_change(session, account)
    if rotation.get("mode") != "periodic" or since is None:
        return
    if add_months(since, int(rotation["interval_months"])) > today:
        return  # changed since this was scheduled: the newer reminder stands
    accounts.set_attention(account, AttentionReason.PASSWORD_ROTATION_DUE, on=True)
    account.updated_at = now
    await session.flush()
    await _event(session, account, "password.rotation_due", now, since=since.isoformat(),
                 interval_months=int(rotation["interval_months"]))  # fmt: skip


# ---- staff moves -----------------------------------------------------------------------------------


async def staff_left(fact: UserLeft) -> None:
    """A user who managed or operated accounts is gone: where the tenant's rules ask for it, each
    such account needs a new manager (or operators) and a new password."""
    session, tenant_id, user_id, clock = fact.session, fact.tenant_id, fact.user_id, fact.clock
    _, config = await guidelines.in_force_today(session, tenant_id, clock)
    if not (config or {}).get("security", {}).get("manager_change_on_staff_move", {}).get("required"):
        return
    now = clock.now()
    for account in await accounts.in_service_run_by(session, tenant_id, user_id):
        accounts.set_attention(
            account, AttentionReason.MANAGER_CHANGE_NEEDED, AttentionReason.PASSWORD_CHANGE_NEEDED, on=True
        )
        account.updated_at = now
        await session.flush()
        await _event(session, account, "account.staff_moved", now, user_id=str(user_id))


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


# ---- history brought in (imports) --------------------------------------------------------------------


async def record_history(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    rows: list[tuple[uuid.UUID, dt.date, bool, str]],
    by: str,
    now: dt.datetime,
) -> int:
    """Password changes an agency recorded before Koshiki (account, day, attested to meet the
    policy, note), set-based; a change already recorded on that day is left as it is. How many were
    new. The accounts' last change and their rotation are the caller's (`rescheduled`)."""
    unique = {(a, day): (met, note) for a, day, met, note in rows}
    prepared = [(uuid7(), a, day, met, note) for (a, day), (met, note) in unique.items()]
    return await insert_history(session, tenant_id, prepared, by, now)


async def rescheduled(session: AsyncSession, account: Account, config: dict[str, Any], now: dt.datetime) -> None:
    """An account's rotation counted again from its latest change (history came in)."""
    tenant = await tenant_of(session, account.tenant_id)
    await schedule_rotation(session, account, tenant, config, now)
