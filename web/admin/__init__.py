"""Administrator pages: programs and master data."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from web.admin import routes  # noqa: E402,F401
