"""Ranked candidates, recommended issues, and the coordinator's curation, monthly plan and joint issues."""
from flask import Blueprint

bp = Blueprint("matches", __name__)

from web.matches import routes  # noqa: E402,F401
