"""Booking pages (the pages helper fills these in; the lead's skeleton has the engagement route mail links to;
the request pages, booking.request_detail among them, are in web/booking/requests.py)."""
from __future__ import annotations

from flask_login import current_user, login_required

from web.booking import bp
from web.services.booking import access


@bp.route("/engagements/<int:engagement_id>")
@login_required
def engagement_detail(engagement_id: int) -> str:
    engagement = access.get_engagement(current_user, engagement_id)
    return f"支援 {engagement.id}"
