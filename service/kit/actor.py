"""Who is acting right now: a user, an API token, or a system job (a worker, the CLI).

The audit trail reads it when it records a change, so every change names its actor without each
service passing it along. The authentication middleware sets it per request; workers and CLI
commands set it with `acting_as`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # "user" | "api_token" | "system"
    id: uuid.UUID | None
    label: str
    client_ip: str | None = None


SYSTEM = Actor("system", None, "system")

_actor: ContextVar[Actor | None] = ContextVar("actor", default=None)


def current_actor() -> Actor:
    return _actor.get() or SYSTEM


def set_actor(actor: Actor | None) -> object:
    return _actor.set(actor)


def reset_actor(token: object) -> None:
    _actor.reset(token)  # type: ignore[arg-type]


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def system(label: str) -> Actor:
    """A job acting on its own account (a worker actor, a CLI command)."""
    return Actor("system", None, f"system:{label}")
