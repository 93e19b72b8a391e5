"""The ASGI entry point for servers: ``uvicorn --factory microcred.api.asgi:app_from_environment``.

Each server process (``microcred serve --workers N`` starts N) builds its own platform from the
``MICROCRED_*`` environment: settings are validated once, the database connection pool and the
key store belong to the process, and both are closed when the server stops. Migrations are not
run here (``microcred serve`` runs them once, before the workers start).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from microcred.api.app import create_app
from microcred.services.platform import build_platform
from microcred.settings import load_settings

__all__ = ["app_from_environment"]


def app_from_environment() -> FastAPI:
    """Build the platform from the environment and the app that serves it."""
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    platform = build_platform(settings, migrate_database=False)
    return create_app(platform, close_platform=True)
