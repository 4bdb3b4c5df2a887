"""The prefecture coordinator's desk: overview, monthly plan, joint issues, progress dashboard, map, municipality
pages, monthly report and exports."""
from flask import Blueprint, render_template

from web.services.validation import InvalidInput

bp = Blueprint("coordinator", __name__)


def refused(error: InvalidInput, title: str = "指定された条件を読み取れませんでした") -> tuple[str, int]:
    """The 400 page of a refused query argument: every Japanese message, so the user knows what to fix."""
    hint = " ".join(message for messages in error.errors.values() for message in messages)
    return render_template("errors/error.html", code=400, title=title, hint=hint or str(error)), 400


from web.coordinator import routes  # noqa: E402,F401
