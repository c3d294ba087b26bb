"""A module that forgets a handler: every process kind must refuse to start with it bootstrapped."""

from __future__ import annotations

from enum import StrEnum

from service.kit.registry import Registry


class BrokenDeadline(StrEnum):
    UNHANDLED = "test.unhandled"


def register(registry: Registry) -> None:
    registry.deadline_kinds(BrokenDeadline, {})
