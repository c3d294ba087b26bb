"""One access decision per request: who the caller is, what they may do, and where.

An `Access` is made for each request from its authenticated `Principal` (the authentication
middleware keeps it in the request's state) and for each actor run (`Access.system`). Every check
of the request goes through it: the guards (`requires(Permission.X)`), entering the tenant named
in the path (a caller outside it gets the 404 of a tenant that does not exist), the standing of
roles bounded by something outside their roles (a contractor acts only while their agreement
runs), and each decision about a thing (`await access.require(Permission.ACCOUNTS_WRITE,
on=account)`), which answers the problem detail itself.

Where a role reaches inside its tenant is its `Scope`. The tenant-wide roles reach everything; a
unit head the units they head, an operator the accounts they operate or manage, a contractor the
accounts and the agreement of theirs. Those scopes are not the kernel's to compute: the domains
that own the facts declare a rule per role to the bootstrap (`registry.scope_rule`, lazy, asked
only when a decision needs it; `registry.standing_rule`, asked on entering the tenant, which may
refuse). A role with neither has no reach beyond its permissions on nothing (fail closed).

Staff read the whole tenant; scopes bound what they change. A confined caller (a contractor) is
fenced for reading too: what their scope does not cover does not exist for them (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import Principal, unauthorized
from service.kit.clock import Clock
from service.kit.db import set_platform, set_tenant
from service.kit.errors import Msg, ProblemError, not_found
from service.kit.permissions import ALL_PERMISSIONS, TENANT_WIDE, Permission, Role
from service.kit.registry import current


@dataclass(frozen=True, slots=True)
class Target:
    """What a decision is about: an account, a unit or an agreement, and the unit it belongs to."""

    kind: str  # "account" | "unit" | "agreement"
    id: uuid.UUID
    unit_id: uuid.UUID | None


class Scoped(Protocol):
    """A row an access decision can be about (Account, Unit, Agreement implement it)."""

    def access_target(self) -> Target: ...


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a caller reaches inside its tenant."""

    everything: bool = False
    unit_ids: frozenset[uuid.UUID] = frozenset()
    account_ids: frozenset[uuid.UUID] = frozenset()
    agreement_ids: frozenset[uuid.UUID] = frozenset()
    confined: bool = False  # reads are fenced too: what is not covered does not exist

    def covers(self, target: Target) -> bool:
        if self.everything:
            return True
        if target.kind == "account" and target.id in self.account_ids:
            return True
        if target.kind == "agreement" and target.id in self.agreement_ids:
            return True
        if target.kind == "unit" and target.id in self.unit_ids:
            return True
        return target.kind != "unit" and target.unit_id is not None and target.unit_id in self.unit_ids

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            everything=self.everything or other.everything,
            unit_ids=self.unit_ids | other.unit_ids,
            account_ids=self.account_ids | other.account_ids,
            agreement_ids=self.agreement_ids | other.agreement_ids,
            confined=self.confined or other.confined,
        )


NOWHERE = Scope()
EVERYWHERE = Scope(everything=True)

# (session in the tenant, caller, clock) -> the caller's scope for one role (or a no-standing problem).
ScopeRule = Callable[[AsyncSession, Principal, Clock], Awaitable[Scope]]


def no_standing(reason: str) -> ProblemError:
    return ProblemError("forbidden", Msg(f"detail.no-standing.{reason}"), extensions={"reason": reason})


def forbidden(permission: Permission | str) -> ProblemError:
    return ProblemError(
        "forbidden",
        Msg("detail.forbidden", {"permission": str(permission)}),
        extensions={"required_permission": str(permission)},
    )


def outside_scope() -> ProblemError:
    return ProblemError(
        "forbidden", Msg("detail.not-your-account"), extensions={"reason": "outside-your-units-or-assignments"}
    )


@dataclass
class Access:
    """The caller of one request (or the system, for an actor), and every decision about it."""

    principal: Principal
    system: bool = False
    tenant_id: uuid.UUID | None = None
    _session: AsyncSession | None = field(default=None, repr=False)
    _clock: Clock | None = field(default=None, repr=False)
    _scopes: dict[Role, Scope] = field(default_factory=dict, repr=False)

    @classmethod
    def of_system(cls, label: str, tenant_id: uuid.UUID | None = None) -> Access:
        """A job acting on its own account (a worker's actor, a CLI command): every permission, everywhere."""
        principal = Principal(
            kind="system",
            id=uuid.UUID(int=0),
            roles=frozenset({Role.PLATFORM_OPERATOR}),
            tenant_id=tenant_id,
            permissions=ALL_PERMISSIONS,
            label=f"system:{label}",
        )
        return cls(principal, system=True, tenant_id=tenant_id)

    # ---- what the caller holds -------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.principal.label

    @property
    def is_platform(self) -> bool:
        return self.principal.is_platform

    def holds(self, permission: Permission) -> bool:
        return permission in self.principal.permissions

    def refreshed(self, principal: Principal) -> None:
        """The caller's powers as the database has them now (before granting power to others)."""
        self.principal = principal
        self._scopes.clear()

    # ---- the tenant ------------------------------------------------------------------------------------

    async def enter(self, session: AsyncSession, tenant_id: uuid.UUID, clock: Clock) -> None:
        """Act inside `tenant_id`: the caller's own (a platform operator: any), row-level security
        scoped to it, and the standing of every role of the caller that has a standing rule."""
        self.check_tenant(tenant_id)
        await set_tenant(session, tenant_id)
        self.tenant_id, self._session, self._clock = tenant_id, session, clock
        rules = current()
        for role in sorted(self.principal.roles):
            if (rule := rules.standing.get(role)) is not None:
                self._scopes[role] = await rule(session, self.principal, clock)
            elif role == Role.CONTRACTOR:  # no domain decides a contractor's standing: none (fail closed)
                raise no_standing("no-active-agreement")

    def check_tenant(self, tenant_id: uuid.UUID) -> None:
        """A caller outside the tenant gets the 404 of a tenant that does not exist: ids cannot be probed."""
        if not self.principal.is_platform and self.principal.tenant_id != tenant_id:
            raise not_found("tenant")

    @property
    def needs_standing(self) -> bool:
        """Whether entering the tenant asks the database (a role with a standing rule)."""
        standing = current().standing
        return any(role in standing or role == Role.CONTRACTOR for role in self.principal.roles)

    async def enter_home(self, session: AsyncSession) -> None:
        """Act in the caller's own home: its tenant, or the platform for a platform operator."""
        if self.principal.tenant_id is None:
            await set_platform(session)
        else:
            await set_tenant(session, self.principal.tenant_id)

    # ---- where -------------------------------------------------------------------------------------

    async def scope_of(self, role: Role) -> Scope:
        if role in TENANT_WIDE or self.system:
            return EVERYWHERE
        if role in self._scopes:
            return self._scopes[role]
        rule = current().scopes.get(role)
        if rule is None or self._session is None or self._clock is None:
            scope = NOWHERE
        else:
            scope = await rule(self._session, self.principal, self._clock)
        self._scopes[role] = scope
        return scope

    async def scope(self) -> Scope:
        """Where the caller reaches: the union of its roles' scopes."""
        reach = NOWHERE
        for role in self.principal.roles:
            reach = reach | await self.scope_of(role)
        return reach

    async def may(self, permission: Permission, on: Scoped | None = None) -> bool:
        if not self.holds(permission):
            return False
        if on is None:
            return True
        scope = await self.scope()
        if permission.reads and not scope.confined:
            return True
        return scope.covers(on.access_target())

    async def require(self, permission: Permission, on: Scoped | None = None) -> None:
        """Raise the problem detail unless the caller may: 403 without the permission, 404 for what a
        confined caller cannot see, 403 for what lies outside their units or assignments."""
        if not self.holds(permission):
            raise forbidden(permission)
        if on is None or await self.may(permission, on):
            return
        target = on.access_target()
        scope = await self.scope()
        if scope.confined and not scope.covers(target):
            raise not_found(target.kind)
        raise outside_scope()

    async def require_role(
        self,
        roles: Collection[Role | str],
        *,
        on: Scoped | None = None,
        reason: str,
        message: Msg,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        """Where the tenant's configuration names who decides (approvers, declarers, who may close
        at once): one of `roles`, or a general administrator or platform operator, who always may.
        A role bounded to part of the tenant (a unit head) decides only on what its scope covers."""
        allowed = {Role(r) for r in roles} | {Role.GENERAL_ADMINISTRATOR, Role.PLATFORM_OPERATOR}
        for role in sorted(self.principal.roles & allowed):
            if on is None or (await self.scope_of(role)).covers(on.access_target()):
                return
        raise ProblemError("forbidden", message, extensions={"reason": reason, **(extensions or {})})

    async def visible_accounts(self) -> frozenset[uuid.UUID] | None:
        """The accounts a confined caller may see (None: the whole tenant's)."""
        scope = await self.scope()
        return scope.account_ids if scope.confined and not scope.everything else None

    async def visible_agreements(self) -> frozenset[uuid.UUID] | None:
        """The agreements a confined caller may see (None: the whole tenant's)."""
        scope = await self.scope()
        return scope.agreement_ids if scope.confined and not scope.everything else None


# ---- the request's access, and the guards that use it -------------------------------------------------

_STATE_KEY = "koshiki_access"


def access_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Access:
    """The request's one access object, made from its authenticated caller at first use."""
    state = connection.scope.setdefault("state", {})
    found = state.get(_STATE_KEY)
    if isinstance(found, Access):
        return found
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise unauthorized("detail.unauthorized-missing")
    access = Access(principal)
    state[_STATE_KEY] = access
    return access


# Guards are coroutines: Litestar runs a plain function guard in a worker thread, a hop that cost
# every request more than the check itself (bench/register.py).
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def requires(permission: Permission) -> Guard:
    """A guard: the caller must hold `permission` (from the matrix, narrowed by token scopes)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        await access_of(connection).require(permission)

    guard.__name__ = f"requires_{permission.value.replace(':', '_')}"
    return guard


async def platform_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not access_of(connection).is_platform:
        raise forbidden("platform")


async def users_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """For endpoints about a person (their password, their sessions): not for API tokens."""
    if access_of(connection).principal.kind != "user":
        raise ProblemError("forbidden", Msg("detail.users-only"), extensions={"reason": "users-only"})
