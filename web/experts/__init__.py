"""Experts: sign-up with privacy consent, the skill-standard profile, reconfirmation, profile pages."""
from flask import Blueprint

bp = Blueprint("experts", __name__)

from web.experts import routes  # noqa: E402,F401
