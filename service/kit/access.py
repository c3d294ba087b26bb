"""Standing: whether a caller may act in its tenant at all, right now, beyond what its roles allow.

Most roles always have standing. A contractor has it only while an agreement covering them runs,
checked on every request (tokens included), not just at login. Rules are declared per role to the
bootstrap; the contractor agreements domain declares the contractor rule, which also fences a
contractor into the operations and accounts of their agreement; without it, contractors have no
standing anywhere (fail closed).
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
from service.kit.registry import current

# (session in the tenant, caller, clock, the request when there is one) -> None, or raise.
StandingRule = Callable[[AsyncSession, Principal, Clock, "Request[Any, Any, Any] | None"], Awaitable[None]]


def no_standing(reason: str) -> ProblemError:
    return ProblemError("forbidden", Msg(f"detail.no-standing.{reason}"), extensions={"reason": reason})


async def check_standing(
    session: AsyncSession, principal: Principal, clock: Clock, request: Request[Any, Any, Any] | None = None
) -> None:
    rules = current().standing
    for role in principal.roles:
        if (rule := rules.get(role)) is not None:
            await rule(session, principal, clock, request)
        elif role == Role.CONTRACTOR:  # no domain decides a contractor's standing: none (fail closed)
            raise no_standing("no-active-agreement")
