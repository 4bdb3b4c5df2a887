"""/api/v1/me/calendar: the caller's private calendar feed URL, and regenerating it."""
from __future__ import annotations

from marshmallow import Schema, fields

from web.api.auth import api_blueprint, current_api_user
from web.services import calendars
from web.transaction import transaction

bp = api_blueprint("api_me", "/me", "自分のアカウント（カレンダー配信URL）")


class CalendarUrlSchema(Schema):
    url = fields.String(metadata={"description": "訪問予定のiCalendar配信URL（このURLを知っている人は誰でも予定を読めます）"})


@bp.route("/calendar", methods=["GET"])
@bp.response(200, CalendarUrlSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
def get_calendar() -> dict[str, str]:
    """Return the caller's feed URL, creating it on the first call."""
    with transaction():
        secret = calendars.ensure_secret(current_api_user())
    return {"url": calendars.feed_url(secret)}


@bp.route("/calendar/regenerate", methods=["POST"])
@bp.response(200, CalendarUrlSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
def regenerate_calendar() -> dict[str, str]:
    """Replace the feed URL: the old one stops working at once."""
    with transaction():
        secret = calendars.regenerate(current_api_user())
    return {"url": calendars.feed_url(secret)}
