"""The private calendar feeds (GET /calendar/<token>.ics): no login, the secret URL is the credential."""
from flask import Blueprint

bp = Blueprint("calendar", __name__)

from web.calendar import routes  # noqa: F401
