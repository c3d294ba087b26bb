"""What the compliance report hands to every process: nothing runs on its own yet (no events, no
deadlines); the report is computed when asked for."""

from __future__ import annotations

from service.kit.registry import Registry


def register(registry: Registry) -> None:
    del registry
