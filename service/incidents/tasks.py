"""What incidents hand to every process: the events they emit (heard by the general administrators)."""

from __future__ import annotations

from service.kit.registry import Registry

EVENTS = {
    "incident.reported": ("トラブルが報告された", "An incident was reported"),
    "incident.resolved": ("トラブルが解決した", "An incident was resolved"),
}


def register(registry: Registry) -> None:
    registry.events(EVENTS, owner=__name__)
