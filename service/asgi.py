"""The ASGI entry point for uvicorn (and any other ASGI server): settings from the environment."""

from __future__ import annotations

import os

from litestar import Litestar

from service.app import create_app
from service.config import Settings
from service.kit.clock import clock_for
from service.kit.logging import configure_logging


def app_factory() -> Litestar:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    # `koshiki run` marks the embedded development server, the one place CLOCK_OFFSET is accepted.
    embedded = os.environ.get("KOSHIKI_EMBEDDED") == "1"
    return create_app(settings, clock=clock_for(settings, embedded=embedded))
