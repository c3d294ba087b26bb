"""What imports hand to every process: nothing runs later (an import is one request, one transaction)."""

from __future__ import annotations

from service.kit.registry import Registry


def register(registry: Registry) -> None:
    """Imports declare no actor, event or deadline: the domains they feed schedule their own."""
