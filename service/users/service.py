"""Users: creating, changing, disabling, resetting passwords; and a user changing their own.

Anything that changes what a user may do (roles, unit, disabling, a password reset) ends their
sessions at once, so the change holds from their next refresh at the latest (the access token's
lifetime, 5–15 minutes).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.identity.models import User
from service.identity.passwords import Passwords, policy_errors
from service.identity.sessions import revoke_user_sessions
from service.identity.throttle import LoginThrottle, account_key
from service.kit.access import Access
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict, set_platform
from service.kit.errors import FieldError, Msg, conflict, not_found, unauthorized_problem, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Role, effective_permissions
from service.tenants import service as tenants
from service.users.hooks import USER_LEFT, UserLeft
from service.users.repository import HomeUsersRepository, UsersRepository, user_by_id
from service.users.schemas import UserCreate, UserUpdate


async def refresh_powers(session: AsyncSession, access: Access) -> None:
    """The caller's roles as the database has them now, not as their access token said minutes
    ago: for the actions that grant power (users, tokens). A user disabled meanwhile is refused."""
    principal = access.principal
    if principal.kind != "user":
        return
    if principal.tenant_id is None:
        await set_platform(session)  # a platform operator's own row belongs to no tenant
    user = await user_by_id(session, principal.id)
    if user is None or user.disabled_at is not None:
        raise unauthorized_problem("detail.unauthorized-invalid")
    roles = frozenset(Role(r) for r in user.roles)
    access.refreshed(msgspec.structs.replace(principal, roles=roles, permissions=effective_permissions(roles, None)))


# ---- who is who, for other domains (recipients of mail, people named on accounts) --------------------


async def active_ids(session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these are users of the tenant who have not been disabled."""
    return await UsersRepository(session, tenant_id).active_ids(ids)


async def active_by_names(session: AsyncSession, tenant_id: uuid.UUID, names: Collection[str]) -> dict[str, uuid.UUID]:
    """The tenant's active users by login ID or e-mail address, keyed by the name lower-cased (an import)."""
    return await UsersRepository(session, tenant_id).active_by_names(names)


async def tenant_user_ids(session: AsyncSession, tenant_id: uuid.UUID, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these are users of the tenant, disabled or not (people named in its records)."""
    return await UsersRepository(session, tenant_id).among(ids)


async def any_disabled(session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> bool:
    return await UsersRepository(session, tenant_id).any_disabled(ids)


async def active_with_role(
    session: AsyncSession, tenant_id: uuid.UUID, role: Role, unit_ids: Collection[uuid.UUID | None] | None = None
) -> list[User]:
    """The tenant's users holding `role` who have not been disabled (of these units, if given)."""
    return await UsersRepository(session, tenant_id).active_with_role(role, unit_ids)


async def active_users(session: AsyncSession, tenant_id: uuid.UUID, ids: Collection[uuid.UUID]) -> list[User]:
    """Those of these users of the tenant who have not been disabled, by id."""
    return await UsersRepository(session, tenant_id).active_among(ids)


def temporary_password() -> str:
    while True:
        candidate = secrets.token_urlsafe(12)
        if not policy_errors(candidate, login_id="", email=""):
            return candidate


def _role_errors(roles: list[str], unit_id: uuid.UUID | None) -> list[FieldError]:
    errors = []
    if len(set(roles)) != len(roles):
        errors.append(FieldError(Msg("field.unique_items"), "unique_items", "/roles"))
    if Role.CONTRACTOR in roles and len(set(roles)) > 1:
        errors.append(FieldError(Msg("user.contractor-exclusive"), "contractor_exclusive", "/roles"))
    if Role.UNIT_HEAD in roles and unit_id is None:
        errors.append(FieldError(Msg("user.unit-head-needs-unit"), "unit_required", "/unit_id"))
    return errors


def _login_name_errors(login_id: str, email: str, pointer: str) -> list[FieldError]:
    """Login IDs and e-mails share one namespace: a login ID shaped like an address would claim
    someone's e-mail as a login name, unless it is the user's own."""
    if "@" in login_id and login_id.lower() != email.lower():
        return [FieldError(Msg("user.login-is-another-email"), "login_is_another_email", pointer)]
    return []


# ---- a tenant's users (in the tenant of the context) ----------------------------------------------------


def _unknown_agreement() -> dict[str, Exception]:
    """users.agreement_id names an agreement of the tenant, or its foreign key refuses it."""
    return {"fk_users_agreement": not_found("agreement", "/agreement_id")}


def _users(ctx: Ctx) -> UsersRepository:
    return UsersRepository(ctx.session, ctx.tenant_id)


async def get_user(ctx: Ctx, user_id: uuid.UUID, *, lock: bool = False) -> User:
    return await _users(ctx).get_or_404(user_id, lock=lock)


async def list_users(
    ctx: Ctx,
    after: uuid.UUID | None,
    limit: int,
    *,
    role: str | None = None,
    unit_id: uuid.UUID | None = None,
    disabled: bool | None = None,
) -> tuple[list[User], bool]:
    return await _users(ctx).listed(after, limit, role=role, unit_id=unit_id, disabled=disabled)


async def _check_unit(ctx: Ctx, unit_id: uuid.UUID | None) -> None:
    if unit_id is not None:
        await tenants.get_unit(ctx, unit_id, pointer="/unit_id")


async def _keep_an_administrator(ctx: Ctx, user: User) -> None:
    """A tenant must not lose its last active general administrator: nobody could manage it."""
    if Role.GENERAL_ADMINISTRATOR in user.roles and await _users(ctx).active_administrators(other_than=user.id) == 0:
        raise conflict("conflict.last-general-administrator")


def _check_agreement(roles: list[str], agreement_id: uuid.UUID | None) -> None:
    """Only a contractor is linked to an agreement. (That it is one of the tenant's is the foreign
    key's to say, at flush: the agreements domain sits above this one.)"""
    if agreement_id is None:
        return
    if roles != [Role.CONTRACTOR.value]:
        raise validation_failed([FieldError(Msg("agreement.contractor-only"), "contractor_only", "/agreement_id")])


async def create_user(ctx: Ctx, data: UserCreate, *, passwords: Passwords) -> tuple[User, str]:
    if errors := _role_errors(list(data.roles), data.unit_id) + _login_name_errors(
        data.login_id, data.email, "/login_id"
    ):
        raise validation_failed(errors)
    await _check_unit(ctx, data.unit_id)
    _check_agreement(sorted({str(r) for r in data.roles}), data.agreement_id)
    users = _users(ctx)
    taken = conflict("conflict.login-taken")
    if await users.by_login_or_email(data.login_id, data.email) is not None:
        raise taken
    password = temporary_password()
    now = ctx.now()
    user = users.add(
        User(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            login_id=data.login_id,
            email=data.email,
            display_name=data.display_name,
            locale=data.locale,
            roles=sorted(set(data.roles)),
            unit_id=data.unit_id,
            agreement_id=data.agreement_id,
            password_hash=await passwords.hash(password),
            password_changed_at=now,
            password_must_change=True,
            created_at=now,
            updated_at=now,
        )
    )
    # Another tenant may hold the login ID or address: invisible here, caught by the unique index.
    await flush_or_conflict(ctx.session, taken, constraints=_unknown_agreement())
    return user, password


async def update_user(ctx: Ctx, user: User, patch: UserUpdate) -> User:
    roles = [str(r) for r in (patch.roles if patch.roles is not msgspec.UNSET else user.roles)]
    unit_id = patch.unit_id if patch.unit_id is not msgspec.UNSET else user.unit_id
    email = patch.email if patch.email is not msgspec.UNSET else user.email
    if errors := _role_errors(roles, unit_id) + _login_name_errors(user.login_id, email, "/email"):
        raise validation_failed(errors)
    if patch.unit_id is not msgspec.UNSET:
        await _check_unit(ctx, patch.unit_id)
    agreement_id = patch.agreement_id if patch.agreement_id is not msgspec.UNSET else user.agreement_id
    _check_agreement(sorted(set(roles)), agreement_id)
    if Role.GENERAL_ADMINISTRATOR in user.roles and Role.GENERAL_ADMINISTRATOR not in roles:
        await _keep_an_administrator(ctx, user)
    changed = False
    for name in ("email", "display_name", "locale"):
        value = getattr(patch, name)
        if value is not msgspec.UNSET and getattr(user, name) != value:
            setattr(user, name, value)
            changed = True
    new_roles = sorted(set(roles))
    powers_changed = new_roles != sorted(user.roles) or unit_id != user.unit_id or agreement_id != user.agreement_id
    if powers_changed:
        user.roles = new_roles
        user.unit_id = unit_id
        user.agreement_id = agreement_id
    if changed or powers_changed:
        user.updated_at = ctx.now()
        # Before anything else runs a statement (which would flush it outside this savepoint).
        await flush_or_conflict(ctx.session, conflict("conflict.login-taken"), constraints=_unknown_agreement())
    if powers_changed:
        await revoke_user_sessions(ctx.session, user.id, ctx.now(), "roles changed")
    return user


async def disable_user(ctx: Ctx, user: User) -> User:
    """No more logins, every session ends; who reacts to a member of staff leaving hears of it."""
    if user.id == ctx.principal.id:
        raise conflict("conflict.cannot-disable-self")
    if user.disabled_at is None:
        await _keep_an_administrator(ctx, user)
        user.disabled_at = ctx.now()
        user.updated_at = ctx.now()
        await revoke_user_sessions(ctx.session, user.id, ctx.now(), "user disabled")
        await ctx.session.flush()
        await USER_LEFT.publish(UserLeft(ctx.session, ctx.tenant_id, user.id, ctx.clock))
    return user


async def enable_user(ctx: Ctx, user: User) -> User:
    if user.disabled_at is not None:
        user.disabled_at = None
        user.updated_at = ctx.now()
        await ctx.session.flush()
    return user


async def reset_password(ctx: Ctx, user: User, *, passwords: Passwords) -> str:
    """An administrator's reset: a temporary password, to be changed at the next login."""
    password = temporary_password()
    user.password_hash = await passwords.hash(password)
    user.password_must_change = True
    user.password_changed_at = ctx.now()
    user.updated_at = ctx.now()
    await revoke_user_sessions(ctx.session, user.id, ctx.now(), "password reset")
    record(ctx.session, "user.password_reset", target_kind="user", target_id=user.id, tenant_id=user.tenant_id)
    await ctx.session.flush()
    return password


# ---- the caller themselves (their home: their tenant, or the platform) -----------------------------------


async def own_user(session: AsyncSession, principal: Principal) -> User | None:
    """The calling user's row (None for an API token, or a user no longer there)."""
    if principal.kind != "user":
        return None
    return await HomeUsersRepository(session).get(principal.id)


async def change_own_password(
    session: AsyncSession,
    clock: Clock,
    *,
    principal: Principal,
    passwords: Passwords,
    throttle: LoginThrottle,
    current: str,
    new: str,
    ip: str | None,
) -> None:
    """A user's own change: the current password first (failures count like failed logins), then
    the policy. Every other session of theirs ends; the one they are using goes on."""
    user = await HomeUsersRepository(session).get(principal.id, for_update=True)
    if user is None or user.disabled_at is not None:
        raise unauthorized_problem("detail.unauthorized-invalid")
    account = account_key(user.id, user.login_id)
    await throttle.attempt(account, ip)
    if not await passwords.verify(user.password_hash, current):
        raise validation_failed([FieldError(Msg("password.wrong-current"), "wrong_password", "/current_password")])
    await throttle.succeeded(account, ip)
    errors = policy_errors(new, login_id=user.login_id, email=user.email)
    if await passwords.verify(user.password_hash, new):
        errors.append(FieldError(Msg("password.unchanged"), "unchanged", "/new_password"))
    if errors:
        raise validation_failed(errors)
    user.password_hash = await passwords.hash(new)
    user.password_must_change = False
    user.password_changed_at = clock.now()
    user.updated_at = clock.now()
    await revoke_user_sessions(session, user.id, clock.now(), "password changed", keep=principal.session_id)
    record(session, "user.password_changed", target_kind="user", target_id=user.id, tenant_id=user.tenant_id)
    await session.flush()


# ---- platform operators (the platform session) ------------------------------------------------------------


async def create_operator(
    session: AsyncSession, clock: Clock, *, login_id: str, email: str, display_name: str, passwords: Passwords
) -> tuple[User, str]:
    """A platform operator who logs in with a password; the temporary password is returned once."""
    if errors := _login_name_errors(login_id, email, "/login_id"):
        raise validation_failed(errors)
    password = temporary_password()
    now = clock.now()
    user = HomeUsersRepository(session).add(
        User(
            id=uuid7(),
            tenant_id=None,
            login_id=login_id,
            email=email,
            display_name=display_name,
            roles=[Role.PLATFORM_OPERATOR.value],
            password_hash=await passwords.hash(password),
            password_changed_at=now,
            password_must_change=True,
            created_at=now,
            updated_at=now,
        )
    )
    await flush_or_conflict(session, conflict("conflict.login-taken"))
    return user, password
