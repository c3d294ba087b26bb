"""In-transaction domain hooks: how one domain reacts to another's fact without calling upward.

The domain that owns a fact declares a `Hook` in its `hooks.py` and publishes it where the fact
happens; a domain that must react subscribes in its `tasks.register()` (the bootstrap wires it).
Subscribers run one after another inside the publisher's unit of work: the reaction commits or
rolls back with the fact, and an error in a subscriber fails the request or the actor that
published it, like any other error of that unit of work.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from service.kit.registry import current

P = TypeVar("P")


class Hook(Generic[P]):
    """A named fact with a payload of type P (a small frozen dataclass carrying the session)."""

    __slots__ = ("description", "name")

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description

    async def publish(self, fact: P) -> None:
        for subscriber in current().subscribers.get(self, ()):
            await subscriber(fact)

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"
