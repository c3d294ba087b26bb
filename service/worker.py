"""The Dramatiq broker module for `koshiki worker` (and `dramatiq service.worker`).

Importing it reads the settings from the environment, declares every actor, installs the broker
from BROKER_URL and prepares the runtime the actors use (database, clock)."""

from __future__ import annotations

import os

from service import tasks
from service.config import Settings
from service.kit.clock import clock_for
from service.kit.logging import configure_logging
from service.kit.queue import QueueSettings, Runtime, broker_for, install, set_runtime

settings = Settings.from_env()
configure_logging(settings.log_level)
tasks.load(tuple(m for m in os.environ.get("KOSHIKI_EXTRA_MODULES", "").split(",") if m))
if not settings.broker_url:
    raise SystemExit("koshiki worker needs BROKER_URL (amqp://… or redis://…); without it `koshiki run` works alone")
config = QueueSettings.from_settings(settings)
broker = install(broker_for(config), config)
set_runtime(Runtime(settings, clock_for(settings, embedded=False), broker))
