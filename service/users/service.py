"""Users: creating, changing, disabling, resetting passwords; and a user changing their own.

Anything that changes what a user may do (roles, unit, disabling, a password reset) ends their
sessions at once, so the change holds from their next refresh at the latest (the access token's
lifetime, 5–15 minutes).
"""

from __future__ import annotations

import secrets
import uuid

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.service import record
from service.identity.models import User
from service.identity.passwords import Passwords, policy_errors
from service.identity.sessions import revoke_user_sessions
from service.identity.throttle import LoginThrottle
from service.kit.access import Access
from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.db import flush_or_conflict, set_platform
from service.kit.errors import FieldError, Msg, conflict, not_found, unauthorized_problem, validation_failed
from service.kit.ids import uuid7
from service.kit.permissions import Role, effective_permissions
from service.tenants.repository import UnitsRepository
from service.users.hooks import USER_LEFT, UserLeft
from service.users.repository import UsersRepository, user_by_id
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


async def _check_unit(users: UsersRepository, unit_id: uuid.UUID | None) -> None:
    if unit_id is not None and await UnitsRepository(users.session, users.tenant_id).get(unit_id) is None:
        raise not_found("unit", "/unit_id")


async def _active_administrators(users: UsersRepository, other_than: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(
            User.tenant_id == users.tenant_id,
            User.id != other_than,
            User.disabled_at.is_(None),
            User.roles.contains([Role.GENERAL_ADMINISTRATOR.value]),
        )
    )
    return int(await users.session.scalar(query) or 0)


async def _keep_an_administrator(users: UsersRepository, user: User) -> None:
    """A tenant must not lose its last active general administrator: nobody could manage it."""
    if Role.GENERAL_ADMINISTRATOR in user.roles and await _active_administrators(users, user.id) == 0:
        raise conflict("conflict.last-general-administrator")


async def _check_agreement(users: UsersRepository, roles: list[str], agreement_id: uuid.UUID | None) -> None:
    """Only a contractor is linked to an agreement, and only to one of the tenant's."""
    if agreement_id is None:
        return
    if roles != [Role.CONTRACTOR.value]:
        raise validation_failed([FieldError(Msg("agreement.contractor-only"), "contractor_only", "/agreement_id")])
    found = await users.session.scalar(
        text("SELECT id FROM agreements WHERE tenant_id = :tenant AND id = :id"),
        {"tenant": users.tenant_id, "id": agreement_id},
    )
    if found is None:
        raise not_found("agreement", "/agreement_id")


async def create_user(users: UsersRepository, passwords: Passwords, clock: Clock, data: UserCreate) -> tuple[User, str]:
    if errors := _role_errors(list(data.roles), data.unit_id):
        raise validation_failed(errors)
    await _check_unit(users, data.unit_id)
    await _check_agreement(users, sorted({str(r) for r in data.roles}), data.agreement_id)
    taken = conflict("conflict.login-taken")
    if await users.by_login_or_email(data.login_id, data.email) is not None:
        raise taken
    password = temporary_password()
    now = clock.now()
    user = users.add(
        User(
            id=uuid7(),
            tenant_id=users.tenant_id,
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
    await flush_or_conflict(users.session, taken)
    return user, password


async def update_user(users: UsersRepository, clock: Clock, user: User, patch: UserUpdate) -> User:
    roles = [str(r) for r in (patch.roles if patch.roles is not msgspec.UNSET else user.roles)]
    unit_id = patch.unit_id if patch.unit_id is not msgspec.UNSET else user.unit_id
    if errors := _role_errors(roles, unit_id):
        raise validation_failed(errors)
    if patch.unit_id is not msgspec.UNSET:
        await _check_unit(users, patch.unit_id)
    agreement_id = patch.agreement_id if patch.agreement_id is not msgspec.UNSET else user.agreement_id
    await _check_agreement(users, sorted(set(roles)), agreement_id)
    if Role.GENERAL_ADMINISTRATOR in user.roles and Role.GENERAL_ADMINISTRATOR not in roles:
        await _keep_an_administrator(users, user)
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
        await revoke_user_sessions(users.session, user.id, clock.now(), "roles changed")
    if changed or powers_changed:
        user.updated_at = clock.now()
        await flush_or_conflict(users.session, conflict("conflict.login-taken"))
    return user


async def disable_user(users: UsersRepository, clock: Clock, user: User, actor: Principal) -> User:
    if user.id == actor.id:
        raise conflict("conflict.cannot-disable-self")
    if user.disabled_at is None:
        await _keep_an_administrator(users, user)
        user.disabled_at = clock.now()
        user.updated_at = clock.now()
        await revoke_user_sessions(users.session, user.id, clock.now(), "user disabled")
        await users.session.flush()
        await USER_LEFT.publish(UserLeft(users.session, users.tenant_id, user.id, clock))
    return user


async def enable_user(users: UsersRepository, clock: Clock, user: User) -> User:
    if user.disabled_at is not None:
        user.disabled_at = None
        user.updated_at = clock.now()
        await users.session.flush()
    return user


async def reset_password(users: UsersRepository, passwords: Passwords, clock: Clock, user: User) -> str:
    """An administrator's reset: a temporary password, to be changed at the next login."""
    password = temporary_password()
    user.password_hash = await passwords.hash(password)
    user.password_must_change = True
    user.password_changed_at = clock.now()
    user.updated_at = clock.now()
    await revoke_user_sessions(users.session, user.id, clock.now(), "password reset")
    record(users.session, "user.password_reset", target_kind="user", target_id=user.id, tenant_id=user.tenant_id)
    await users.session.flush()
    return password


async def change_own_password(
    session: AsyncSession,
    user: User,
    passwords: Passwords,
    throttle: LoginThrottle,
    clock: Clock,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID | None,
    ip: str | None,
) -> None:
    """A user's own change: the current password first (failures count like failed logins), then
    the policy. Every other session of theirs ends; the one they are using goes on."""
    await throttle.check(user.login_id, ip)
    if not await passwords.verify(user.password_hash, current):
        await throttle.failed(user.login_id, ip)
        raise validation_failed([FieldError(Msg("password.wrong-current"), "wrong_password", "/current_password")])
    errors = policy_errors(new, login_id=user.login_id, email=user.email)
    if await passwords.verify(user.password_hash, new):
        errors.append(FieldError(Msg("password.unchanged"), "unchanged", "/new_password"))
    if errors:
        raise validation_failed(errors)
    user.password_hash = await passwords.hash(new)
    user.password_must_change = False
    user.password_changed_at = clock.now()
    user.updated_at = clock.now()
    await revoke_user_sessions(session, user.id, clock.now(), "password changed", keep=keep_session)
    record(session, "user.password_changed", target_kind="user", target_id=user.id, tenant_id=user.tenant_id)
    await session.flush()
