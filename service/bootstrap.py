"""One way in: what every process kind (the API, `koshiki worker`, `koshiki scheduler`, the CLI)
calls before it does anything.

It asks each domain, in the order of the list below, for what it contributes to a process
(`<domain>/tasks.py: register(registry)`): actors, deadline kinds with their handlers, event types
and who hears of them, hook subscribers, standing rules, the audit trail's flush hook. Then it
checks that nothing is missing (every declared deadline kind has a handler, every event type a
mail in both languages, every actor a domain queues to is declared) and installs the registry.
A process with a gap stops here, naming it, rather than running without it.

A new domain goes into DOMAINS; modules named in KOSHIKI_EXTRA_MODULES (tests, benchmarks) are
bootstrapped after them, the same way.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from service.accounts import tasks as accounts
from service.agreements import tasks as agreements
from service.applications import tasks as applications
from service.audit import tasks as audit
from service.closures import tasks as closures
from service.compliance import tasks as compliance
from service.deadlines import tasks as deadlines
from service.events import tasks as events
from service.imports import tasks as imports
from service.incidents import tasks as incidents
from service.kit.registry import Registry, install
from service.monitoring import tasks as monitoring
from service.notifications import tasks as notifications
from service.posts import tasks as posts
from service.renewals import tasks as renewals
from service.security import tasks as security
from service.training import tasks as training
from service.webhooks import tasks as webhooks

DOMAINS: tuple[ModuleType, ...] = (
    audit,
    deadlines,
    events,
    notifications,
    webhooks,
    accounts,
    applications,
    closures,
    renewals,
    security,
    monitoring,
    incidents,
    agreements,
    training,
    posts,
    imports,
    compliance,
)


def bootstrap(extra_modules: Iterable[str] = ()) -> Registry:
    """Register every domain (and the extra modules), check the whole, and install it."""
    registry = Registry()
    for domain in (*DOMAINS, *(importlib.import_module(name) for name in extra_modules)):
        domain.register(registry)
    registry.check()
    return install(registry)
