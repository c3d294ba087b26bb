"""What the register of accounts hands to every process: the events it emits, and where unit
heads and operators reach (the access object asks when a decision needs it)."""

from __future__ import annotations

from service.accounts import service
from service.kit.permissions import Role
from service.kit.registry import Registry

EVENTS = {
    "account.status_changed": ("公式アカウントの状態が変わった", "An official account's status changed"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
    registry.scope_rule(Role.UNIT_HEAD, service.unit_head_reach)
    registry.scope_rule(Role.OPERATOR, service.operator_reach)
