"""Issue intake for municipal officers: post, edit, publish, withdraw, co-owners, town history."""
from flask import Blueprint

bp = Blueprint("issues", __name__)

from web.issues import routes  # noqa: E402,F401
