"""What the register of accounts hands to every process: the events it emits."""

from __future__ import annotations

from service.kit.registry import Registry

EVENTS = {
    "account.status_changed": ("公式アカウントの状態が変わった", "An official account's status changed"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
