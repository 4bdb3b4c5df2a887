"""GET /calendar/<token>.ics: a user's visits for Google/Outlook/Apple calendars to subscribe to."""
from __future__ import annotations

from flask import Response, abort

from web.calendar import bp
from web.services import calendars

# A feed token is 43 url-safe base64 characters; anything else is a 404 before the database is asked.
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@bp.route("/calendar/<token>.ics")
def feed(token: str) -> Response:
    if len(token) != 43 or not set(token) <= _TOKEN_CHARS:
        abort(404)
    user = calendars.find_feed_user(token)
    if user is None:
        abort(404)
    response = Response(calendars.feed_ics(user), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="visits.ics"'
    # Personal data behind a secret URL: no shared cache may keep it.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
