"""What a process knows how to do, declared in one place: the registry `service.bootstrap` fills.

Every process kind (the API, `koshiki worker`, `koshiki scheduler`, the CLI) calls the same
bootstrap, which asks each domain's `tasks.register(registry)` for what it contributes (actors,
deadline kinds and their handlers, event types and who hears of them, hook subscribers, standing
rules, session listeners), checks that nothing is missing, and installs the registry for the
kernel to read. Nothing is registered by importing a module: a process that was not bootstrapped
has no actors, no handlers and no audit trail, and says so (`NotBootstrapped`) instead of
quietly doing less.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import event

P = TypeVar("P")

# (session, kwargs of the message, error) -> None: what to mark failed when an actor's message dies.
DeadHandler = Callable[[Any, dict[str, Any], str], Awaitable[None]]
# (session, kwargs of the message) -> None: what to reset before a dead message is queued again.
RetryHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]
# (session, deadline row, now) -> None: what a deadline kind does when it falls due.
DeadlineHandler = Callable[[Any, Any, Any], Awaitable[None]]
# (session, event row) -> users: who hears of an event by mail.
Recipients = Callable[[Any, Any], Awaitable[list[Any]]]


class BootstrapError(Exception):
    """The process cannot start: something it would need to do has nobody to do it."""


class NotBootstrapped(RuntimeError):
    """The kernel was asked for the registry before `service.bootstrap.bootstrap()` ran."""


@dataclasses.dataclass(frozen=True)
class ActorSpec:
    name: str
    fn: Callable[..., Awaitable[None]]
    queue: str
    max_retries: int
    on_dead: DeadHandler | None
    on_retry: RetryHandler | None
    owner: str


@dataclasses.dataclass(frozen=True)
class DeadlineSpec:
    kind: str
    handler: DeadlineHandler
    owner: str


@dataclasses.dataclass(frozen=True)
class EventTypeSpec:
    type: str
    ja: str
    en: str
    owner: str


@dataclasses.dataclass(frozen=True)
class Listener:
    target: Any
    identifier: str
    fn: Callable[..., Any]


def _owner(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__module__", "?")


class Registry:
    """Filled by the bootstrap, then read-only."""

    def __init__(self) -> None:
        self.actors: dict[str, ActorSpec] = {}
        self.deadlines: dict[str, DeadlineSpec] = {}
        self.event_types: dict[str, EventTypeSpec] = {}
        self.recipients: dict[str, Recipients] = {}
        self.standing: dict[str, Callable[..., Awaitable[Any]]] = {}
        self.scopes: dict[str, Callable[..., Awaitable[Any]]] = {}
        self.subscribers: defaultdict[Hook[Any], list[Callable[[Any], Awaitable[object]]]] = defaultdict(list)
        self.listeners: list[Listener] = []
        self._checks: list[Callable[[Registry], Iterable[str]]] = []
        self._required_actors: dict[str, str] = {}
        self._problems: list[str] = []

    # ---- what the domains declare ----------------------------------------------------------------

    def actor(
        self,
        fn: Callable[..., Awaitable[None]],
        *,
        queue: str,
        max_retries: int = 5,
        on_dead: DeadHandler | None = None,
        on_retry: RetryHandler | None = None,
    ) -> None:
        """An async actor, named after its function. Its keyword arguments are JSON; `tenant_id` is always one."""
        name = fn.__name__
        if name in self.actors:
            self._problems.append(f"actor {name!r} is declared twice ({self.actors[name].owner}, {_owner(fn)})")
        self.actors[name] = ActorSpec(name, fn, queue, max_retries, on_dead, on_retry, _owner(fn))

    def deadline_kinds(self, kinds: type[enum.StrEnum], handlers: Mapping[str, DeadlineHandler]) -> None:
        """Every kind of deadline a domain schedules (a StrEnum), each with what it does when due."""
        for kind in kinds:
            handler = handlers.get(kind)
            if handler is None:
                self._problems.append(f"deadline kind {kind.value!r} ({kinds.__module__}) has no handler")
                continue
            if kind.value in self.deadlines:
                self._problems.append(f"deadline kind {kind.value!r} is declared twice")
            self.deadlines[kind.value] = DeadlineSpec(kind.value, handler, kinds.__module__)
        for stray in set(handlers) - {k.value for k in kinds}:
            self._problems.append(f"a handler is given for {stray!r}, which {kinds.__name__} does not declare")

    def events(self, types: Mapping[str, tuple[str, str]], *, owner: str) -> None:
        """Event types a domain emits: type -> (Japanese, English) description."""
        for name, (ja, en) in types.items():
            if name in self.event_types:
                self._problems.append(
                    f"event type {name!r} is declared twice ({self.event_types[name].owner}, {owner})"
                )
            self.event_types[name] = EventTypeSpec(name, ja, en, owner)

    def hear(self, event_types: Iterable[str], recipients: Recipients) -> None:
        """Who hears of these event types by mail (by default: the tenant's general administrators)."""
        for name in event_types:
            if name in self.recipients:
                self._problems.append(f"the recipients of {name!r} are declared twice")
            self.recipients[name] = recipients

    def standing_rule(self, role: str, rule: Callable[..., Awaitable[Any]]) -> None:
        """What decides, on entering the tenant (every request), whether a caller of `role` may act
        there at all, and where: returns its Scope, or raises the no-standing problem."""
        if role in self.standing or role in self.scopes:
            self._problems.append(f"the reach of role {role!r} is declared twice")
        self.standing[role] = rule

    def scope_rule(self, role: str, rule: Callable[..., Awaitable[Any]]) -> None:
        """Where a caller of `role` reaches inside its tenant (a Scope), asked only when a decision
        about a thing needs it."""
        if role in self.standing or role in self.scopes:
            self._problems.append(f"the reach of role {role!r} is declared twice")
        self.scopes[role] = rule

    def subscribe(self, hook: Hook[P], subscriber: Callable[[P], Awaitable[object]]) -> None:
        """Run `subscriber` inside the unit of work that publishes `hook`'s fact."""
        self.subscribers[hook].append(subscriber)

    def listen(self, target: Any, identifier: str, fn: Callable[..., Any]) -> None:
        """A SQLAlchemy event listener the process needs (the audit trail's flush hook)."""
        self.listeners.append(Listener(target, identifier, fn))

    def require_actor(self, name: str, *, by: str) -> None:
        """A domain queues messages for `name` (by name): the process must have that actor."""
        self._required_actors.setdefault(name, by)

    def check_with(self, check: Callable[[Registry], Iterable[str]]) -> None:
        """A start-up check a domain contributes; it returns what is missing, in words."""
        self._checks.append(check)

    # ---- start-up ------------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        found = list(self._problems)
        for name, by in sorted(self._required_actors.items()):
            if name not in self.actors:
                found.append(f"actor {name!r} (messages queued by {by}) is not declared")
        for name in sorted(set(self.recipients) - set(self.event_types)):
            found.append(f"recipients are given for {name!r}, which no domain declares as an event type")
        for check in self._checks:
            found.extend(check(self))
        return found

    def check(self) -> None:
        if found := self.problems():
            raise BootstrapError(
                "the process cannot start, because something it would have to do has no handler:\n"
                + "\n".join(f"  - {problem}" for problem in found)
                + "\n(each domain declares what it contributes in its tasks.register(); service/bootstrap.py lists them)"
            )

    # ---- reading -----------------------------------------------------------------------------------

    def actor_spec(self, name: str) -> ActorSpec:
        spec = self.actors.get(name)
        if spec is None:
            raise LookupError(f"no actor {name!r} in this process (is its domain in service/bootstrap.py?)")
        return spec

    def deadline_handler(self, kind: str) -> DeadlineHandler:
        spec = self.deadlines.get(kind)
        if spec is None:
            raise LookupError(f"no handler for deadline kind {kind!r} in this process")
        return spec.handler


_current: Registry | None = None


def install(registry: Registry) -> Registry:
    """Make `registry` the process's own; switch on the session listeners it declares (once)."""
    global _current
    for listener in registry.listeners:
        if not event.contains(listener.target, listener.identifier, listener.fn):
            event.listen(listener.target, listener.identifier, listener.fn)
    _current = registry
    return registry


def current() -> Registry:
    if _current is None:
        raise NotBootstrapped(
            "this process was not bootstrapped: call service.bootstrap.bootstrap() at start-up "
            "(the API, `koshiki worker`, `koshiki scheduler` and the CLI all do)"
        )
    return _current


# ---- in-transaction domain hooks ----------------------------------------------------------------
#
# How one domain reacts to another's fact without calling upward. The domain that owns a fact
# declares a `Hook` in its `hooks.py` and publishes it where the fact happens; a domain that must
# react subscribes in its `tasks.register()` (the bootstrap wires it). Subscribers run one after
# another inside the publisher's unit of work: the reaction commits or rolls back with the fact,
# and an error in a subscriber fails the request or the actor that published it.


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
