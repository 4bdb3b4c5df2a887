"""Pages of the booking flow: requests, engagements, visits, reports and the expert's schedule."""
from flask import Blueprint

bp = Blueprint("booking", __name__)

from web.booking import requests, routes  # noqa: F401
