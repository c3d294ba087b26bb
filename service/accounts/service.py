"""Official accounts: identity, the lifecycle, the opening rules, and where each caller reaches.

Every rule comes from the tenant's guideline configuration in force today; each unmet rule is
named with where it sits in the configuration and the clause it comes from. Who may act on which
account is decided by the request's access object; this domain tells it where a unit head and an
operator reach (their scope rules, declared in tasks.register). Moving an account to another unit
is acting on both units: the new one must lie within the caller's reach too (a unit head moves
accounts among their own units only; an operator, whose reach is accounts, not units, moves none).

Who may suspend an account and resume it is the configuration's closure decider
(`/closure/decided_by`), with a general administrator and a platform operator, who always may; a
unit head only on the accounts of their units. The reading, clause by clause:
- A suspension (一時停止) is the temporary stop short of closure, and the seeds treat it with
  closure: where an account no longer serves, 004 第2の7(4) has the unit weigh a pause (一時休止)
  and closure (廃止) together, and 004 第2の8 leaves whether an account continues or ends to the
  unit that runs it (広報広聴課 may only advise). Stopping an account for a while and letting it
  run again are decisions about its continuing, so they belong to whoever the configuration makes
  the closure decider: `closure.decided_by`. In the five presets that is the unit head: 004
  第2の8; 001 2 (opening and closing are the responsibility of the using division's head);
  000 第4条第11号 (学科等 decide their closure and apply to the 統括管理者); 002 and 003 say
  nothing of closure, and their presets take as a default the head who answers for the account
  (003 3: the 保育課長 manages the account; 002: 課の長).
- `closure.immediate.by` is not read: it names who may delete at once on a serious threat, an
  exception to the closure procedure (004 第2の8(2) ただし書き), read narrowly; in every preset it
  is empty or within `decided_by`. `closure.ordered_by` is not read either: ordering a closure is
  instructing the unit (000 第4条第12号: the 統括管理者 instructs the 運用管理者 or 運用担当者), not
  stopping the account oneself, and the general administrator who orders may always suspend.
- Without a configuration in force only a general administrator (or a platform operator) may.
- The permission matrix still bounds it: the caller needs applications:decide (a role named in
  `decided_by` without it, an operator say, is refused by the route's guard), and a takeover
  reported as an incident suspends the account by itself (incidents), whoever decides.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.hooks import (
    ACCOUNT_OPENED,
    PEOPLE_PURGED,
    POST_RECORDED,
    AccountOpened,
    PeoplePurged,
    PostRecorded,
)
from service.accounts.models import (
    ENDED,
    IN_SERVICE,
    LIVE,
    Account,
    AccountDocument,
    AccountOrigin,
    AccountStatus,
    AttentionReason,
    ImpersonationWarning,
)
from service.accounts.repository import (
    AccountsRepository,
    DocumentsRepository,
    WarningsRepository,
    account_holder,
    account_page,
)
from service.accounts.schemas import AccountCreate, AccountUpdate, DocumentWrite, WarningCreate
from service.accounts.urls import AccountRef, UnrecognisedAccount, account_keys, parse_account, with_user_id
from service.events.service import emit
from service.guidelines import service as guidelines
from service.kit.access import NOWHERE, Access, Scope, Scoped
from service.kit.auth import Principal
from service.kit.clock import Clock, local_today
from service.kit.context import Ctx
from service.kit.db import Database, flush_or_conflict, set_tenant
from service.kit.errors import FieldError, Msg, ProblemError, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Permission, Role
from service.tenants import service as tenants
from service.tenants.models import Tenant
from service.tenants.service import tenant_of
from service.users import service as users

S = AccountStatus
# status -> action -> next status. Anything else is a 409 naming what is allowed.
TRANSITIONS: dict[AccountStatus, dict[str, AccountStatus]] = {
    S.DRAFT: {"submit": S.PENDING_APPROVAL},
    S.PENDING_APPROVAL: {"approve": S.ACTIVE, "reject": S.REJECTED, "withdraw": S.DRAFT},
    S.ACTIVE: {"suspend": S.SUSPENDED, "announce_closure": S.CLOSING, "close_now": S.CLOSED},
    S.SUSPENDED: {"resume": S.ACTIVE, "announce_closure": S.CLOSING, "close_now": S.CLOSED},
    S.CLOSING: {"withdraw_closure": S.ACTIVE, "complete_closure": S.CLOSED, "close_now": S.CLOSED},
    S.CLOSED: {},
    S.REJECTED: {},
}


def illegal(status: AccountStatus, action: str) -> ProblemError:
    allowed = sorted(TRANSITIONS[status])
    return ProblemError(
        "conflict",
        Msg("conflict.illegal-transition", {"status": status, "action": action, "allowed": ", ".join(allowed) or "-"}),
        extensions={"reason": "illegal-transition", "current_status": status, "allowed_actions": allowed},
    )


async def transition(session: AsyncSession, account: Account, action: str, now: dt.datetime, **data: Any) -> None:
    """Move the account along its lifecycle, and tell whoever listens (webhooks, mail)."""
    target = TRANSITIONS[account.status].get(action)
    if target is None:
        raise illegal(account.status, action)
    previous, account.status, account.updated_at = account.status, target, now
    await session.flush()
    await emit(
        session,
        tenant_id=account.tenant_id,
        type="account.status_changed",
        subject_kind="account",
        subject_id=str(account.id),
        data={"status": target, "previous": previous, "action": action, "subject_label": account.display_name, **data},
        now=now,
    )


# ---- identity ---------------------------------------------------------------------------------------


def account_ref(url: str, platform: str | None, platform_user_id: str | None, pointer: str = "/url") -> AccountRef:
    try:
        ref = parse_account(url, platform)  # type: ignore[arg-type]
    except UnrecognisedAccount as exc:
        raise _unrecognised(exc, pointer) from exc
    if platform_user_id:
        try:
            ref = with_user_id(ref, platform_user_id)
        except UnrecognisedAccount as exc:
            raise _unrecognised(exc, "/platform_user_id") from exc
    return ref


def _unrecognised(exc: UnrecognisedAccount, pointer: str) -> ProblemError:
    return validation_failed(
        [FieldError(Msg("account.unrecognised", {"reason": exc.message}), "unrecognised_account", pointer)]
    )


def keys_of(ref: AccountRef) -> tuple[str, str | None]:
    keys = account_keys(ref)
    id_key = next((k for k in keys if k != ref.key and ":id:" in k), ref.key if ":id:" in ref.key else None)
    return ref.key, id_key


async def holder_conflict(session: AsyncSession, ref: AccountRef, except_id: uuid.UUID | None) -> ProblemError | None:
    """A 409 naming the tenant that already holds this platform account live, if one does."""
    row = await account_holder(session, list(account_keys(ref)), except_id)
    if row is None:
        return None
    return ProblemError(
        "conflict",
        Msg("conflict.account-registered", {"holder": row.name_ja, "holder_en": row.name_en}),
        extensions={
            "reason": "account-registered",
            "holder": {
                "slug": row.slug,
                "name_ja": row.name_ja,
                "name_en": row.name_en,
                "register": f"/v1/public/tenants/{row.slug}/register",
            },
        },
    )


def apply_ref(account: Account, ref: AccountRef) -> None:
    account.platform = ref.platform
    account.handle = ref.handle
    account.platform_user_id = ref.platform_user_id
    account.account_key, account.id_key = keys_of(ref)
    account.canonical_url = ref.canonical_url


def set_attention(account: Account, *reasons: AttentionReason, on: bool) -> None:
    """Raise or clear reasons the account needs attention (each once); the flag follows the reasons."""
    current = list(account.attention_reasons)
    wanted = (
        [*current, *(r for r in dict.fromkeys(reasons) if r not in current)]
        if on
        else [r for r in current if r not in reasons]
    )
    if wanted != current:
        account.attention_reasons = wanted
    account.needs_attention = bool(wanted)


# ---- where unit heads and operators reach (the access object asks) -----------------------------------


async def unit_head_reach(session: AsyncSession, principal: Principal, clock: Clock) -> Scope:
    """A unit head acts for the unit they head and the units under it."""
    if principal.unit_id is None or principal.tenant_id is None:
        return NOWHERE
    children = await tenants.child_units(session, principal.tenant_id, principal.unit_id)
    return Scope(unit_ids=frozenset({principal.unit_id, *children}))


async def operator_reach(session: AsyncSession, principal: Principal, clock: Clock) -> Scope:
    """An operator acts for the accounts they operate or manage."""
    if principal.tenant_id is None:
        return NOWHERE
    return Scope(account_ids=await AccountsRepository(session, principal.tenant_id).run_by(principal.id))


# ---- reading and writing -----------------------------------------------------------------------------


async def get(
    ctx: Ctx, account_id: uuid.UUID, *, lock: bool = False, permission: Permission = Permission.ACCOUNTS_READ
) -> Account:
    """The account, if the caller may (read it, or what `permission` says on it): a confined caller
    finds nothing outside their reach (404), anyone else is refused what lies outside it (403)."""
    account = await AccountsRepository(ctx.session, ctx.tenant_id).get_or_404(account_id, lock=lock)
    await ctx.access.require(permission, on=account)
    return account


async def get_account(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, *, for_update: bool = False
) -> Account:
    """The account for the system's own work (a worker's deadline): no caller to ask."""
    return await AccountsRepository(session, tenant_id).get_or_404(account_id, lock=for_update)


async def operator_ids(session: AsyncSession, account: Account) -> list[uuid.UUID]:
    return await AccountsRepository(session, account.tenant_id).operator_ids(account.id)


async def people_of_live_accounts(session: AsyncSession, tenant_id: uuid.UUID) -> set[uuid.UUID]:
    """The operations managers and operators of the tenant's live accounts (disabled users included)."""
    return await AccountsRepository(session, tenant_id).people_of(LIVE)


async def _check_people(ctx: Ctx, manager: uuid.UUID | None, operators: list[uuid.UUID]) -> None:
    wanted = {u for u in [manager, *operators] if u is not None}
    found = await users.active_ids(ctx.session, ctx.tenant_id, wanted)
    errors = []
    if manager is not None and manager not in found:
        errors.append("/operations_manager_id")
    errors += [f"/operator_ids/{i}" for i, user in enumerate(operators) if user not in found]
    if errors:
        message = Msg("detail.not-found", {"resource": Msg("resource.user")})
        raise ProblemError("not-found", message, errors=[FieldError(message, "not_found", p) for p in errors])


async def create_account(ctx: Ctx, data: AccountCreate) -> Account:
    ref = account_ref(data.url, data.platform, data.platform_user_id)
    unit = await tenants.get_unit(ctx, data.unit_id, pointer="/unit_id")
    await _check_people(ctx, data.operations_manager_id, list(data.operator_ids))
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=unit)
    now = ctx.now()
    account = Account(
        id=uuid7(),
        tenant_id=ctx.tenant_id,
        unit_id=data.unit_id,
        display_name=data.display_name,
        purpose=data.purpose,
        operating_body=data.operating_body,
        operations_manager_id=data.operations_manager_id,
        signup_mailbox=data.signup_mailbox,
        verified_badge=data.verified_badge,
        profile_links_register=data.profile_links_register,
        status=AccountStatus.DRAFT,
        attention_reasons=[],
        created_at=now,
        updated_at=now,
    )
    apply_ref(account, ref)
    if (taken := await holder_conflict(ctx.session, ref, None)) is not None:
        raise taken
    accounts = AccountsRepository(ctx.session, ctx.tenant_id)
    accounts.add(account)
    await flush_or_conflict(ctx.session, await holder_conflict(ctx.session, ref, account.id) or _generic_taken())
    await accounts.set_operators(account, list(data.operator_ids), now)
    await ctx.session.flush()
    return account


def _generic_taken() -> ProblemError:
    return ProblemError(
        "conflict", Msg("conflict.account-registered-elsewhere"), extensions={"reason": "account-registered"}
    )


async def update_account(ctx: Ctx, account: Account, patch: AccountUpdate) -> Account:
    """Change the account as `patch` says. The caller's access is checked on the account and, when
    it moves to another unit, on that unit too (the approver's, for an approved change application):
    nothing changes unless all of it may."""
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    if account.status in ENDED:
        raise illegal(account.status, "update")
    if patch.unit_id is not msgspec.UNSET:
        unit = await tenants.get_unit(ctx, patch.unit_id, pointer="/unit_id")
        if unit.id != account.unit_id:
            await _require_at(ctx, Permission.ACCOUNTS_WRITE, unit, "/unit_id", Msg("account.unit-outside-reach"))
    manager = (
        patch.operations_manager_id
        if patch.operations_manager_id is not msgspec.UNSET
        else account.operations_manager_id
    )
    operators = list(patch.operator_ids) if patch.operator_ids is not msgspec.UNSET else []
    await _check_people(ctx, manager, operators)
    if patch.url is not msgspec.UNSET or patch.platform_user_id is not msgspec.UNSET:
        url = patch.url if patch.url is not msgspec.UNSET else account.canonical_url
        user_id = patch.platform_user_id if patch.platform_user_id is not msgspec.UNSET else account.platform_user_id
        ref = account_ref(url, account.platform, user_id)
        if (taken := await holder_conflict(ctx.session, ref, account.id)) is not None:
            raise taken
        apply_ref(account, ref)
    for name in ("unit_id", "display_name", "purpose", "operating_body", "operations_manager_id", "signup_mailbox",
                 "verified_badge", "profile_links_register"):  # fmt: skip
        value = getattr(patch, name)
        if value is not msgspec.UNSET and getattr(account, name) != value:
            setattr(account, name, value)
    if patch.operator_ids is not msgspec.UNSET:
        await AccountsRepository(ctx.session, ctx.tenant_id).set_operators(account, operators, ctx.now())
    account.updated_at = ctx.now()
    await flush_or_conflict(ctx.session, _generic_taken())
    await _clear_staff_moved(ctx, account)
    return account


async def _clear_staff_moved(ctx: Ctx, account: Account) -> None:
    """A manager change asked for after staff moved is done once nobody gone is named on it."""
    if AttentionReason.MANAGER_CHANGE_NEEDED not in account.attention_reasons:
        return
    named = {account.operations_manager_id, *await operator_ids(ctx.session, account)} - {None}
    if not await users.any_disabled(ctx.session, ctx.tenant_id, {u for u in named if u is not None}):
        set_attention(account, AttentionReason.MANAGER_CHANGE_NEEDED, on=False)
        await ctx.session.flush()


async def _require_at(ctx: Ctx, permission: Permission, on: Scoped, pointer: str, message: Msg) -> None:
    """`ctx.access.require(permission, on=...)`, its refusal naming the body's field that asked for it."""
    try:
        await ctx.access.require(permission, on=on)
    except ProblemError as refused:
        raise ProblemError(
            refused.problem,
            refused.detail,
            errors=[*refused.errors, FieldError(message, "outside_reach", pointer)],
            extensions=refused.extensions,
            headers=refused.headers,
        ) from None


def suspension_deciders(config: dict[str, Any] | None) -> list[str]:
    """The roles the configuration makes deciders of a suspension: its closure deciders
    (`closure.decided_by`; none without a configuration). A general administrator and a platform
    operator always may besides (`Access.require_role`). The reading is in the module's docstring."""
    return [str(role) for role in ((config or {}).get("closure") or {}).get("decided_by") or []]


async def _require_suspension_decider(ctx: Ctx, account: Account) -> None:
    await ctx.access.require(Permission.APPLICATIONS_DECIDE, on=account)
    _, config = await guidelines.in_force_today(ctx.session, ctx.tenant_id, ctx.clock)
    deciders = suspension_deciders(config)
    await ctx.access.require_role(
        deciders,
        on=account,
        reason="not-a-suspension-decider",
        message=Msg("detail.not-a-suspension-decider"),
        extensions={"allowed_roles": sorted({*deciders, Role.GENERAL_ADMINISTRATOR, Role.PLATFORM_OPERATOR})},
    )


async def suspend(ctx: Ctx, account: Account, reason: str) -> None:
    """Stop the account for a while: the configuration's closure deciders (see the module's docstring)."""
    await _require_suspension_decider(ctx, account)
    await transition(ctx.session, account, "suspend", ctx.now(), reason=reason)


async def resume(ctx: Ctx, account: Account) -> None:
    """Let a suspended account run again: decided as its suspension was."""
    await _require_suspension_decider(ctx, account)
    await transition(ctx.session, account, "resume", ctx.now())


async def open_account(
    session: AsyncSession, account: Account, config: dict[str, Any], today: dt.date, now: dt.datetime, **data: Any
) -> None:
    """An approved account opens today: active, and the domains that follow accounts begin (its
    renewal round, password rotation, monitoring and reviews) through ACCOUNT_OPENED."""
    account.opened_on = today
    await transition(session, account, "approve", now, **data)
    await ACCOUNT_OPENED.publish(AccountOpened(session, account, config, now))


# ---- an existing register brought in (imports) --------------------------------------------------------


@dataclass(frozen=True)
class ImportedDocument:
    kind: str
    items: dict[str, str]
    public_url: str | None
    disclosed_on_account: bool


@dataclass(frozen=True)
class ImportedAccount:
    """An account as an agency's register has it: already open since `opened_on`, come in as `origin`."""

    ref: AccountRef
    unit_id: uuid.UUID
    display_name: str
    purpose: str
    operating_body: str
    manager_id: uuid.UUID | None
    operator_ids: list[uuid.UUID]
    signup_mailbox: str | None
    verified_badge: bool
    profile_links_register: bool
    opened_on: dt.date
    origin: AccountOrigin
    documents: list[ImportedDocument]
    last_post_at: dt.datetime | None = None
    last_monitored_at: dt.datetime | None = None
    last_password_change_at: dt.datetime | None = None
    password_policy_met: bool | None = None  # the latest change's attestation (None: no change recorded)


async def live_by_keys(session: AsyncSession, tenant_id: uuid.UUID, refs: list[AccountRef]) -> dict[str, Account]:
    """The tenant's live accounts matching these platform accounts, by each ref's key (an import
    matches the file's accounts to the register by their normalised URL key)."""
    wanted = {ref.key: set(account_keys(ref)) for ref in refs}
    every = sorted({k for keys in wanted.values() for k in keys})
    found: dict[str, Account] = {}
    for account in await AccountsRepository(session, tenant_id).live_by_keys(every, LIVE):
        held = {account.account_key, account.id_key} - {None}
        for key, keys in wanted.items():
            if keys & held:
                found.setdefault(key, account)
    return found


async def any_held_live(session: AsyncSession, refs: list[AccountRef]) -> bool:
    """Whether any of these platform accounts is held live anywhere (one query for a whole file)."""
    keys = sorted({k for ref in refs for k in account_keys(ref)})
    return bool(keys) and await account_holder(session, keys, None) is not None


def add_imported(session: AsyncSession, tenant_id: uuid.UUID, data: ImportedAccount, now: dt.datetime) -> Account:
    """Register an account as already opened (not flushed: the import flushes a file's accounts
    at once). Its deadlines begin with `opened_by_import`, once its history is in."""
    account = Account(
        id=uuid7(), tenant_id=tenant_id, unit_id=data.unit_id, display_name=data.display_name, purpose=data.purpose,
        operating_body=data.operating_body, operations_manager_id=data.manager_id, signup_mailbox=data.signup_mailbox,
        verified_badge=data.verified_badge, profile_links_register=data.profile_links_register,
        status=AccountStatus.ACTIVE, opened_on=data.opened_on, origin=data.origin,
        last_post_at=data.last_post_at, last_monitored_at=data.last_monitored_at,
        last_password_change_at=data.last_password_change_at, needs_attention=False, attention_reasons=[],
        created_at=now, updated_at=now,
    )  # fmt: skip
    apply_ref(account, data.ref)
    if data.password_policy_met is False:
        set_attention(account, AttentionReason.PASSWORD_POLICY_NOT_MET, on=True)
    documents = [
        AccountDocument(
            id=uuid7(),
            tenant_id=tenant_id,
            account_id=account.id,
            kind=d.kind,
            items=d.items,
            public_url=d.public_url,
            disclosed_on_account=d.disclosed_on_account,
            created_at=now,
            updated_at=now,
        )
        for d in data.documents
    ]
    AccountsRepository(session, tenant_id).add_imported(account, data.operator_ids, documents)
    return account


async def opened_by_import(session: AsyncSession, account: Account, config: dict[str, Any], now: dt.datetime) -> None:
    """An imported account is open as an approved one is: the domains that follow accounts begin
    (its renewal round, password rotation, monitoring and reviews), counted from its history."""
    await ACCOUNT_OPENED.publish(AccountOpened(session, account, config, now))


async def record_post_time(session: AsyncSession, account: Account, posted_at: dt.datetime, clock: Clock) -> None:
    """Keep the account's last post; a newer one is news to whoever counts inactivity."""
    if account.last_post_at is None or posted_at > account.last_post_at:
        account.last_post_at = posted_at
        await POST_RECORDED.publish(PostRecorded(session, account, clock))


async def found_among(ctx: Ctx, ids: list[uuid.UUID]) -> dict[uuid.UUID, Account]:
    """Each of these accounts of the tenant (an id missing from the answer: not here), for the
    caller to check their access on each (an agreement's accounts: a handful, a hundred at most)."""
    return {account.id: account for account in await AccountsRepository(ctx.session, ctx.tenant_id).among(ids)}


async def in_service_run_by(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[Account]:
    """The accounts in service a user manages or operates, locked (a member of staff left)."""
    return await AccountsRepository(session, tenant_id).live_run_by(user_id, IN_SERVICE)


async def purge_people(session: AsyncSession, account: Account, marker: str, now: dt.datetime) -> None:
    """Forget the people named on a closed account (its retention ran out): its operators, manager
    and sign-up mailbox, who recorded and approved its posts; other domains forget theirs."""
    await AccountsRepository(session, account.tenant_id).purge_people(account, marker)
    account.operations_manager_id, account.signup_mailbox, account.updated_at = None, None, now
    await PEOPLE_PURGED.publish(PeoplePurged(session, account, marker, now))


# ---- warnings about fake accounts ---------------------------------------------------------------------


async def publish_warning(ctx: Ctx, data: WarningCreate, pointer: str = "/url") -> ImpersonationWarning:
    """Warn the public about a fake account: shown in the register and by verification. An account
    registered as official (by any agency) cannot be called a fake."""
    ref = account_ref(data.url, data.platform, None, pointer)
    holder = await holder_conflict(ctx.session, ref, None)
    if holder is not None:
        raise ProblemError(
            "conflict",
            Msg("conflict.warning-on-official"),
            extensions={**holder.extensions, "reason": "official-account"},
        )
    now = ctx.now()
    warning = ImpersonationWarning(
        id=uuid7(), tenant_id=ctx.tenant_id, platform=ref.platform, account_key=ref.key, url=ref.canonical_url,
        handle=ref.handle, note_ja=data.note_ja, note_en=data.note_en, active=True, reported_at=now,
        created_by=ctx.access.label, created_at=now, updated_at=now,
    )  # fmt: skip
    WarningsRepository(ctx.session, ctx.tenant_id).add(warning)
    await ctx.session.flush()
    return warning


async def warnings(ctx: Ctx) -> list[ImpersonationWarning]:
    return await WarningsRepository(ctx.session, ctx.tenant_id).all()


async def resolve_warning(ctx: Ctx, warning_id: uuid.UUID) -> ImpersonationWarning:
    """Take a warning down (the fake account is gone); doing it twice changes nothing."""
    warning = await WarningsRepository(ctx.session, ctx.tenant_id).get_or_404(warning_id, lock=True)
    if warning.active:
        warning.active, warning.resolved_at, warning.updated_at = False, ctx.now(), ctx.now()
        await ctx.session.flush()
    return warning


# ---- the opening rules ---------------------------------------------------------------------------------


@dataclass
class UnmetRule:
    rule: str
    message: Msg
    basis: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "detail": self.message, "basis": self.basis, "missing": self.missing}


async def day_of_record(
    session: AsyncSession, account: Account, clock: Clock, given: dt.date | None, pointer: str
) -> tuple[Tenant, dt.date]:
    """The day something was done to the account (a look, a review, a password change): the given
    one or today in the tenant's time zone, never in the future. With the tenant, for what follows."""
    tenant = await tenant_of(session, account.tenant_id)
    today = local_today(clock, tenant.time_zone)
    day = given or today
    if day > today:
        raise validation_failed([FieldError(Msg("field.future-date"), "in_the_future", pointer)])
    return tenant, day


async def documents_of(session: AsyncSession, account: Account) -> dict[str, AccountDocument]:
    return await DocumentsRepository(session, account.tenant_id).of_account(account.id)


async def put_document(
    ctx: Ctx, account: Account, kind: str, data: DocumentWrite, if_match: Callable[[int], None]
) -> AccountDocument:
    """Write one of the documents required before opening; replacing one needs its version (`if_match`)."""
    await ctx.access.require(Permission.ACCOUNTS_WRITE, on=account)
    documents = DocumentsRepository(ctx.session, ctx.tenant_id)
    existing = (await documents.of_account(account.id)).get(kind)
    now = ctx.now()
    if existing is None:
        document = documents.add(
            AccountDocument(id=uuid7(), tenant_id=account.tenant_id, account_id=account.id, kind=kind, created_at=now)
        )
    else:
        if_match(existing.version)
        document = existing
    document.items = dict(data.items)
    document.public_url = data.public_url
    document.disclosed_on_account = data.disclosed_on_account
    document.updated_at = now
    await ctx.session.flush()
    return document


async def readiness(ctx: Ctx, account: Account) -> tuple[int | None, list[UnmetRule]]:
    """The configuration in force today, and every opening rule of it the account does not meet yet."""
    version, config = await guidelines.in_force_today(ctx.session, ctx.tenant_id, ctx.clock)
    return version, await unmet_opening_rules(ctx.session, account, config)


@dataclass(frozen=True)
class DocumentSnapshot:
    """What the opening rules read of one document: the items written (blank text does not count),
    and whether it is disclosed on the account at a public URL."""

    written: frozenset[str]
    disclosed: bool


@dataclass(frozen=True)
class OpeningSnapshot:
    """Everything the opening rules read about an account, gathered once (`opening_snapshot`)."""

    platform: str
    operating_body: str
    manager_present: bool
    operators_present: bool
    documents: Mapping[str, DocumentSnapshot]  # by kind; a kind missing here is not written yet
    unit_shared_mailbox: str | None
    signup_mailbox: str | None
    verified_badge: bool
    profile_links_register: bool


async def opening_snapshot(session: AsyncSession, account: Account) -> OpeningSnapshot:
    """The account as the opening rules see it: with its documents, operators and its unit's mailbox."""
    unit = await tenants.unit_of(session, account.tenant_id, account.unit_id)
    documents = {
        kind: DocumentSnapshot(
            written=frozenset(k for k, v in document.items.items() if v and v.strip()),
            disclosed=bool(document.disclosed_on_account and document.public_url),
        )
        for kind, document in (await documents_of(session, account)).items()
    }
    return OpeningSnapshot(
        platform=account.platform,
        operating_body=account.operating_body,
        manager_present=account.operations_manager_id is not None,
        operators_present=bool(await operator_ids(session, account)),
        documents=documents,
        unit_shared_mailbox=unit.shared_mailbox,
        signup_mailbox=account.signup_mailbox,
        verified_badge=account.verified_badge,
        profile_links_register=account.profile_links_register,
    )


async def unmet_opening_rules(
    session: AsyncSession, account: Account, config: dict[str, Any] | None
) -> list[UnmetRule]:
    """Every rule of the configuration a new account does not meet yet (empty: it may open)."""
    if config is None:  # the one rule is to have a configuration: nothing to look up
        return [_no_configuration()]
    return unmet_rules(config, await opening_snapshot(session, account))


def _no_configuration() -> UnmetRule:
    return UnmetRule("/", Msg("account.rule.no-configuration"))


def unmet_rules(config: dict[str, Any] | None, account: OpeningSnapshot) -> list[UnmetRule]:
    """Every rule of the configuration the account (as `opening_snapshot` saw it) does not meet yet."""
    if config is None:
        return [_no_configuration()]
    unmet: list[UnmetRule] = []
    platforms = config["platforms"]
    if account.platform not in platforms["allowed"]:
        unmet.append(
            UnmetRule(
                "/platforms/allowed",
                Msg("account.rule.platform", {"platform": account.platform}),
                platforms.get("basis", []),
            )
        )
    for kind, rule in config["opening"]["required_documents"].items():
        if not rule["required"]:
            continue
        document = account.documents.get(kind)
        written = document.written if document is not None else frozenset()
        missing = [item for item in rule["items"] if item not in written]
        if document is None or missing:
            unmet.append(
                UnmetRule(
                    f"/opening/required_documents/{kind}",
                    Msg("account.rule.document", {"document": Msg(f"document.{kind}")}),
                    rule.get("basis", []),
                    missing,
                )
            )
        if (
            kind == "account_policy"
            and rule.get("must_be_disclosed")
            and not (document is not None and document.disclosed)
        ):
            unmet.append(
                UnmetRule(
                    "/opening/required_documents/account_policy/must_be_disclosed",
                    Msg("account.rule.policy-disclosed"),
                    rule.get("basis", []),
                )
            )
    mailbox = config["opening"]["signup_mailbox"]
    if mailbox["policy"] == "unit_shared_mailbox":
        shared = account.unit_shared_mailbox
        if not shared or (account.signup_mailbox or "").lower() != shared.lower():
            unmet.append(
                UnmetRule(
                    "/opening/signup_mailbox/policy",
                    Msg("account.rule.shared-mailbox", {"mailbox": shared or "-"}),
                    mailbox.get("basis", []),
                )
            )
    link = config["opening"]["profile_link_to_register"]
    if link["required"] and not account.profile_links_register:
        unmet.append(
            UnmetRule(
                "/opening/profile_link_to_register/required", Msg("account.rule.profile-link"), link.get("basis", [])
            )
        )
    badge = config["opening"]["verified_badge"]
    if (
        badge["policy"] == "required"
        and (not badge["platforms"] or account.platform in badge["platforms"])
        and not account.verified_badge
    ):
        unmet.append(
            UnmetRule("/opening/verified_badge/policy", Msg("account.rule.verified-badge"), badge.get("basis", []))
        )
    if account.operating_body in {"outsourced", "designated_manager"} and not config["outsourcing"]["allowed"]:
        unmet.append(
            UnmetRule("/outsourcing/allowed", Msg("account.rule.outsourcing"), config["outsourcing"].get("basis", []))
        )
    if config["role_titles"]["operations_manager"] and not account.manager_present:
        unmet.append(UnmetRule("/role_titles/operations_manager", Msg("account.rule.manager"), ["別紙様式"]))
    if not account.operators_present:
        unmet.append(UnmetRule("/role_titles/operator", Msg("account.rule.operator"), ["別紙様式"]))
    return unmet


def rules_not_met(unmet: list[UnmetRule]) -> ProblemError:
    return ProblemError(
        "conflict",
        Msg("conflict.opening-rules", {"count": len(unmet)}),
        extensions={"reason": "opening-rules-not-met", "unmet": [u.as_dict() for u in unmet]},
    )


# ---- the list -----------------------------------------------------------------------------------------


async def list_accounts(
    db: Database, access: Access, tenant_id: uuid.UUID, after: uuid.UUID | None, limit: int, filters: dict[str, Any]
) -> tuple[list[Mapping[str, Any]], bool]:
    """A page of the register as plain rows (the hot read): the whole tenant's, or a confined caller's
    accounts only. Rows after `after`, in the order they were registered; whether more follow."""
    within = await access.visible_accounts()
    if within is None:
        rows = await account_page(db, tenant_id, after, limit + 1, filters)
    else:
        async with db.unit_of_work() as session:
            await set_tenant(session, tenant_id)
            rows = await AccountsRepository(session, tenant_id).within_page(within, after, limit + 1, filters)
    return list(rows[:limit]), len(rows) > limit
