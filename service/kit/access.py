"""Standing: whether a caller may act in its tenant at all, right now, beyond what its roles allow.

Most roles always have standing. A contractor has it only while an agreement covering them runs,
checked on every request (tokens included), not just at login. Rules are registered per role;
the contractor agreements domain registers the real contractor rule. Until it does, contractors
have no standing anywhere (fail closed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from service.kit.auth import Principal
from service.kit.clock import Clock
from service.kit.errors import Msg, ProblemError
from service.kit.permissions import Role

StandingRule = Callable[[AsyncSession, Principal, Clock], Awaitable[None]]

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
async def _no_agreement_yet(session: AsyncSession, principal: Principal, clock: Clock) -> None:
    raise no_standing("no-active-agreement")


async def check_standing(session: AsyncSession, principal: Principal, clock: Clock) -> None:
    for role in principal.roles:
        if (rule := _rules.get(role)) is not None:
            await rule(session, principal, clock)
