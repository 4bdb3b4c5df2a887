"""The prefecture coordinator's desk: overview, monthly plan, joint issues, progress dashboard, map, municipality
pages, monthly report and exports."""
from flask import Blueprint

bp = Blueprint("coordinator", __name__)

from web.coordinator import routes  # noqa: E402,F401
