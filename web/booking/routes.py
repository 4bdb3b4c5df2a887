"""Booking pages (the pages helper fills these in; the lead's skeleton has the two detail routes mail links to)."""
from __future__ import annotations

from flask_login import current_user, login_required

from web.booking import bp
from web.services.booking import access


@bp.route("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int) -> str:
    request = access.get_request(current_user, request_id)
    return f"依頼 {request.id}"
