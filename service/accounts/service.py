"""Official accounts: identity, the lifecycle, the opening rules, and who may act on which account.

Every rule comes from the tenant's guideline configuration in force today; each unmet rule is
named with where it sits in the configuration and the clause it comes from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.accounts.models import Account, AccountDocument, AccountOperator, ImpersonationWarning
from service.accounts.schemas import AccountCreate, AccountUpdate
from service.accounts.urls import AccountRef, UnrecognisedAccount, account_keys, parse_account, with_user_id
from service.events.service import emit
from service.guidelines.repository import GuidelineRepository
from service.kit.auth import Principal
from service.kit.clock import Clock, local_today
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, ProblemError, not_found, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Role
from service.tenants.models import Tenant, Unit
from service.tenants.service import tenant_of
from service.users.models import User

# status -> action -> next status. Anything else is a 409 naming what is allowed.
TRANSITIONS: dict[str, dict[str, str]] = {
    "draft": {"submit": "pending_approval"},
    "pending_approval": {"approve": "active", "reject": "rejected", "withdraw": "draft"},
    "active": {"suspend": "suspended", "announce_closure": "closing", "close_now": "closed"},
    "suspended": {"resume": "active", "announce_closure": "closing", "close_now": "closed"},
    "closing": {"withdraw_closure": "active", "complete_closure": "closed", "close_now": "closed"},
    "closed": {},
    "rejected": {},
}
# Live records hold their platform account: no other live record, in any tenant, may claim it.
LIVE = frozenset({"draft", "pending_approval", "active", "suspended", "closing"})


def illegal(status: str, action: str) -> ProblemError:
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
        [FieldError(Msg("account.unrecognised", {"reason": str(exc)}), "unrecognised_account", pointer)]
    )


def keys_of(ref: AccountRef) -> tuple[str, str | None]:
    keys = account_keys(ref)
    id_key = next((k for k in keys if k != ref.key and ":id:" in k), ref.key if ":id:" in ref.key else None)
    return ref.key, id_key


async def holder_conflict(session: AsyncSession, ref: AccountRef, except_id: uuid.UUID | None) -> ProblemError | None:
    """A 409 naming the tenant that already holds this platform account live, if one does."""
    row = (
        await session.execute(
            text("SELECT * FROM koshiki_account_holder(:keys, :except)"),
            {"keys": list(account_keys(ref)), "except": except_id},
        )
    ).one_or_none()
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


def set_attention(account: Account, reason: str, *, on: bool) -> None:
    """Raise or clear one reason the account needs attention; the flag follows the reasons."""
    if (reason in account.attention_reasons) != on:
        account.attention_reasons = (
            [*account.attention_reasons, reason] if on else [r for r in account.attention_reasons if r != reason]
        )
    account.needs_attention = bool(account.attention_reasons)


# ---- who may act on which account ------------------------------------------------------------------


@dataclass
class Scope:
    """What a caller may change: every account of the tenant, or those of some units / assignments."""

    everything: bool
    unit_ids: frozenset[uuid.UUID] = frozenset()
    account_ids: frozenset[uuid.UUID] = frozenset()  # a contractor's: those their agreement covers
    user_id: uuid.UUID | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)


# The accounts a contractor user's agreement covers (the agreements domain owns these tables).
_COVERED = text(
    "SELECT c.account_id FROM agreement_accounts c JOIN users u ON u.agreement_id = c.agreement_id WHERE u.id = :user"
)


async def scope_of(session: AsyncSession, principal: Principal) -> Scope:
    if principal.roles & {
        Role.PLATFORM_OPERATOR,
        Role.GENERAL_ADMINISTRATOR,
        Role.OPERATIONS_MANAGER,
        Role.AGENCY_SYSTEM,
    }:
        return Scope(everything=True)
    if Role.CONTRACTOR in principal.roles:
        rows = await session.execute(_COVERED, {"user": principal.id})
        return Scope(everything=False, account_ids=frozenset(rows.scalars()), roles=principal.roles)
    units: frozenset[uuid.UUID] = frozenset()
    if Role.UNIT_HEAD in principal.roles and principal.unit_id is not None:
        children = (await session.execute(select(Unit.id).where(Unit.parent_id == principal.unit_id))).scalars()
        units = frozenset({principal.unit_id, *children})
    return Scope(everything=False, unit_ids=units, user_id=principal.id, roles=principal.roles)


async def may_change(session: AsyncSession, scope: Scope, account: Account) -> bool:
    if scope.everything or account.unit_id in scope.unit_ids or account.id in scope.account_ids:
        return True
    if Role.OPERATOR in scope.roles and scope.user_id is not None:
        if account.operations_manager_id == scope.user_id:
            return True
        assigned = await session.scalar(
            select(func.count())
            .select_from(AccountOperator)
            .where(AccountOperator.account_id == account.id, AccountOperator.user_id == scope.user_id)
        )
        return bool(assigned)
    return False


async def require_change(session: AsyncSession, principal: Principal, account: Account) -> None:
    if not await may_change(session, await scope_of(session, principal), account):
        raise ProblemError(
            "forbidden", Msg("detail.not-your-account"), extensions={"reason": "outside-your-units-or-assignments"}
        )


# ---- reading and writing -----------------------------------------------------------------------------


async def get_account(
    session: AsyncSession, tenant_id: uuid.UUID, account_id: uuid.UUID, *, for_update: bool = False
) -> Account:
    query = select(Account).where(Account.tenant_id == tenant_id, Account.id == account_id)
    if for_update:
        query = query.with_for_update()
    account = (await session.execute(query)).scalar_one_or_none()
    if account is None:
        raise not_found("account")
    return account


async def operator_ids(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(select(AccountOperator.user_id).where(AccountOperator.account_id == account_id))
    return sorted(rows.scalars())


async def _check_people(
    session: AsyncSession, tenant_id: uuid.UUID, manager: uuid.UUID | None, operators: list[uuid.UUID]
) -> None:
    wanted = {u for u in [manager, *operators] if u is not None}
    if not wanted:
        return
    found = set(
        (
            await session.execute(
                select(User.id).where(User.tenant_id == tenant_id, User.id.in_(wanted), User.disabled_at.is_(None))
            )
        ).scalars()
    )
    errors = []
    if manager is not None and manager not in found:
        errors.append("/operations_manager_id")
    errors += [f"/operator_ids/{i}" for i, user in enumerate(operators) if user not in found]
    if errors:
        message = Msg("detail.not-found", {"resource": Msg("resource.user")})
        raise ProblemError("not-found", message, errors=[FieldError(message, "not_found", p) for p in errors])


async def _check_unit(session: AsyncSession, tenant_id: uuid.UUID, unit_id: uuid.UUID) -> None:
    if await session.scalar(select(Unit.id).where(Unit.tenant_id == tenant_id, Unit.id == unit_id)) is None:
        raise not_found("unit", "/unit_id")


async def set_operators(session: AsyncSession, account: Account, users: list[uuid.UUID], now: dt.datetime) -> None:
    await session.execute(delete(AccountOperator).where(AccountOperator.account_id == account.id))
    for user_id in dict.fromkeys(users):
        session.add(
            AccountOperator(account_id=account.id, user_id=user_id, tenant_id=account.tenant_id, assigned_at=now)
        )


async def create_account(
    session: AsyncSession, tenant_id: uuid.UUID, clock: Clock, principal: Principal, data: AccountCreate
) -> Account:
    ref = account_ref(data.url, data.platform, data.platform_user_id)
    await _check_unit(session, tenant_id, data.unit_id)
    await _check_people(session, tenant_id, data.operations_manager_id, list(data.operator_ids))
    account = Account(
        id=uuid7(),
        tenant_id=tenant_id,
        unit_id=data.unit_id,
        display_name=data.display_name,
        purpose=data.purpose,
        operating_body=data.operating_body,
        operations_manager_id=data.operations_manager_id,
        signup_mailbox=data.signup_mailbox,
        verified_badge=data.verified_badge,
        profile_links_register=data.profile_links_register,
        status="draft",
        attention_reasons=[],
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    apply_ref(account, ref)
    scope = await scope_of(session, principal)
    if not scope.everything and data.unit_id not in scope.unit_ids:
        raise ProblemError(
            "forbidden", Msg("detail.not-your-account"), extensions={"reason": "outside-your-units-or-assignments"}
        )
    if (taken := await holder_conflict(session, ref, None)) is not None:
        raise taken
    session.add(account)
    await flush_or_conflict(session, await holder_conflict(session, ref, account.id) or _generic_taken())
    await set_operators(session, account, list(data.operator_ids), clock.now())
    await session.flush()
    return account


def _generic_taken() -> ProblemError:
    return ProblemError(
        "conflict", Msg("conflict.account-registered-elsewhere"), extensions={"reason": "account-registered"}
    )


async def update_account(
    session: AsyncSession, account: Account, clock: Clock, principal: Principal, patch: AccountUpdate
) -> Account:
    await require_change(session, principal, account)
    if account.status in {"closed", "rejected"}:
        raise illegal(account.status, "update")
    if patch.unit_id is not msgspec.UNSET:
        await _check_unit(session, account.tenant_id, patch.unit_id)
    manager = (
        patch.operations_manager_id
        if patch.operations_manager_id is not msgspec.UNSET
        else account.operations_manager_id
    )
    operators = list(patch.operator_ids) if patch.operator_ids is not msgspec.UNSET else []
    await _check_people(session, account.tenant_id, manager, operators)
    if patch.url is not msgspec.UNSET or patch.platform_user_id is not msgspec.UNSET:
        url = patch.url if patch.url is not msgspec.UNSET else account.canonical_url
        user_id = patch.platform_user_id if patch.platform_user_id is not msgspec.UNSET else account.platform_user_id
        ref = account_ref(url, account.platform, user_id)
        if (taken := await holder_conflict(session, ref, account.id)) is not None:
            raise taken
        apply_ref(account, ref)
    for name in ("unit_id", "display_name", "purpose", "operating_body", "operations_manager_id", "signup_mailbox",
                 "verified_badge", "profile_links_register"):  # fmt: skip
        value = getattr(patch, name)
        if value is not msgspec.UNSET and getattr(account, name) != value:
            setattr(account, name, value)
    if patch.operator_ids is not msgspec.UNSET:
        await set_operators(session, account, operators, clock.now())
    account.updated_at = clock.now()
    await flush_or_conflict(session, _generic_taken())
    await _clear_staff_moved(session, account)
    return account


async def _clear_staff_moved(session: AsyncSession, account: Account) -> None:
    """A manager change asked for after staff moved is done once nobody gone is named on it."""
    if "manager_change_needed" not in account.attention_reasons:
        return
    named = {account.operations_manager_id, *await operator_ids(session, account.id)} - {None}
    gone = await session.scalar(
        select(func.count()).select_from(User).where(User.id.in_(named), User.disabled_at.is_not(None))
    )
    if not gone:
        set_attention(account, "manager_change_needed", on=False)
        await session.flush()


# ---- warnings about fake accounts ---------------------------------------------------------------------


async def publish_warning(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    clock: Clock,
    principal: Principal,
    url: str,
    platform: str | None,
    note_ja: str,
    note_en: str,
    pointer: str = "/url",
) -> ImpersonationWarning:
    """Warn the public about a fake account: shown in the register and by verification. An account
    registered as official (by any agency) cannot be called a fake."""
    ref = account_ref(url, platform, None, pointer)
    holder = await holder_conflict(session, ref, None)
    if holder is not None:
        raise ProblemError(
            "conflict",
            Msg("conflict.warning-on-official"),
            extensions={**holder.extensions, "reason": "official-account"},
        )
    now = clock.now()
    warning = ImpersonationWarning(
        id=uuid7(), tenant_id=tenant_id, platform=ref.platform, account_key=ref.key, url=ref.canonical_url,
        handle=ref.handle, note_ja=note_ja, note_en=note_en, active=True, reported_at=now,
        created_by=principal.label, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(warning)
    await session.flush()
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


async def config_in_force(
    session: AsyncSession, tenant_id: uuid.UUID, clock: Clock
) -> tuple[int | None, dict[str, Any] | None]:
    """The guideline configuration in force today in the tenant's time zone (version, document)."""
    tenant = await tenant_of(session, tenant_id)
    return await config_on(session, tenant_id, local_today(clock, tenant.time_zone))


async def config_on(
    session: AsyncSession, tenant_id: uuid.UUID, day: dt.date
) -> tuple[int | None, dict[str, Any] | None]:
    row = await GuidelineRepository(session, tenant_id).in_force(day)
    return (row.version, row.document) if row else (None, None)


async def documents_of(session: AsyncSession, account_id: uuid.UUID) -> dict[str, AccountDocument]:
    rows = (await session.execute(select(AccountDocument).where(AccountDocument.account_id == account_id))).scalars()
    return {d.kind: d for d in rows}


async def unmet_opening_rules(
    session: AsyncSession, account: Account, config: dict[str, Any] | None
) -> list[UnmetRule]:
    """Every rule of the configuration a new account does not meet yet (empty: it may open)."""
    if config is None:
        return [UnmetRule("/", Msg("account.rule.no-configuration"))]
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
    documents = await documents_of(session, account.id)
    for kind, rule in config["opening"]["required_documents"].items():
        if not rule["required"]:
            continue
        document = documents.get(kind)
        written = {k for k, v in (document.items if document else {}).items() if v and v.strip()}
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
            and not (document and document.disclosed_on_account and document.public_url)
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
        unit = (await session.execute(select(Unit).where(Unit.id == account.unit_id))).scalar_one()
        if not unit.shared_mailbox or (account.signup_mailbox or "").lower() != unit.shared_mailbox.lower():
            unmet.append(
                UnmetRule(
                    "/opening/signup_mailbox/policy",
                    Msg("account.rule.shared-mailbox", {"mailbox": unit.shared_mailbox or "-"}),
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
    if config["role_titles"]["operations_manager"] and account.operations_manager_id is None:
        unmet.append(UnmetRule("/role_titles/operations_manager", Msg("account.rule.manager"), ["別紙様式"]))
    if not await operator_ids(session, account.id):
        unmet.append(UnmetRule("/role_titles/operator", Msg("account.rule.operator"), ["別紙様式"]))
    return unmet


def rules_not_met(unmet: list[UnmetRule]) -> ProblemError:
    return ProblemError(
        "conflict",
        Msg("conflict.opening-rules", {"count": len(unmet)}),
        extensions={"reason": "opening-rules-not-met", "unmet": [u.as_dict() for u in unmet]},
    )
