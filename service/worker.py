"""The Dramatiq broker module for `koshiki worker` (and `dramatiq service.worker`).

Importing it is a worker process's start-up: the settings from the environment, the bootstrap
every process runs (actors, deadline handlers, the audit trail's flush hook...), the broker from
BROKER_URL with every actor declared on it, and the runtime the actors use (database, clock)."""

from __future__ import annotations

from service.bootstrap import bootstrap
from service.config import Settings
from service.kit.clock import clock_for
from service.kit.logging import configure_logging
from service.kit.queue import QueueSettings, Runtime, broker_for, install, set_runtime

settings = Settings.from_env()
configure_logging(settings.log_level)
if not settings.broker_url:
    raise SystemExit("koshiki worker needs BROKER_URL (amqp://… or redis://…); without it `koshiki run` works alone")
bootstrap(settings.extra_modules)
config = QueueSettings.from_settings(settings)
broker = install(broker_for(config), config)
set_runtime(Runtime(settings, clock_for(settings, embedded=False), broker))
