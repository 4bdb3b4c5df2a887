"""Ranked candidates, curation and shortlists, and recommended issues (the coordinator desk: web/coordinator)."""
from flask import Blueprint

bp = Blueprint("matches", __name__)

from web.matches import routes  # noqa: E402,F401
