"""The ASGI entry point for uvicorn (and any other ASGI server): settings from the environment."""

from __future__ import annotations

from litestar import Litestar

from service.app import create_app
from service.config import Settings
from service.kit.logging import configure_logging


def app_factory() -> Litestar:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    return create_app(settings)
