"""Every module that declares actors or deadline handlers, imported once by the API and the workers."""

from __future__ import annotations

import importlib

TASK_MODULES = (
    "service.deadlines.tasks",
    "service.events.tasks",
    "service.notifications.tasks",
    "service.webhooks.tasks",
    "service.guidelines.tasks",
    "service.applications.tasks",
    "service.closures.tasks",
    "service.renewals.tasks",
    "service.security.tasks",
    "service.monitoring.tasks",
    "service.agreements.tasks",
)


def load(extra: tuple[str, ...] = ()) -> None:
    for name in (*TASK_MODULES, *extra):
        importlib.import_module(name)
