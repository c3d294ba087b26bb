"""Standing: whether a caller may act in its tenant at all, right now, beyond what its roles allow.

Most roles always have standing. A contractor has it only while an agreement covering them runs,
checked on every request (tokens included), not just at login. Rules are registered per role;
the contractor agreements domain (`service.agreements.service`) registers the contractor rule,
which also fences a contractor into the operations and accounts of their agreement; without it,
contractors have no standing anywhere (fail closed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.errors import Msg, ProblemError
from service.kit.permissions import Role

# (session in the tenant, caller, clock, the request when there is one) -> None, or raise.
StandingRule = Callable[[AsyncSession, Principal, Clock, "Request[Any, Any, Any] | None"], Awaitable[None]]

_rules: dict[Role, StandingRule] = {}


def standing_rule(role: Role) -> Callable[[StandingRule], StandingRule]:
    """Register the rule that decides `role`'s standing (replacing any earlier one)."""

    def register(rule: StandingRule) -> StandingRule:
        _rules[role] = rule
        return rule

    return register


def no_standing(reason: str) -> ProblemError:
    return ProblemError("forbidden", Msg(f"detail.no-standing.{reason}"), extensions={"reason": reason})


@standing_rule(Role.CONTRACTOR)
async def _no_agreement_yet(
    session: AsyncSession, principal: Principal, clock: Clock, request: Request[Any, Any, Any] | None
) -> None:
    raise no_standing("no-active-agreement")


async def check_standing(
    session: AsyncSession, principal: Principal, clock: Clock, request: Request[Any, Any, Any] | None = None
) -> None:
    for role in principal.roles:
        if (rule := _rules.get(role)) is not None:
            await rule(session, principal, clock, request)
