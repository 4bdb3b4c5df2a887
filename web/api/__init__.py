"""The JSON API under /api/v1 (flask-smorest, OpenAPI 3 at /api/v1/openapi.json)."""
from __future__ import annotations

from flask import Flask


def init_api(app: Flask) -> None:
    """Register the API on the app."""
