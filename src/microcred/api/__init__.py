"""The HTTP API: W3C VC-API, the admin API under ``/api/v1``, health and metrics.

``create_app(platform)`` builds the FastAPI application; ``microcred serve`` runs it with
uvicorn. See ``docs/api.md``.
"""

from microcred.api.app import create_app

__all__ = ["create_app"]
