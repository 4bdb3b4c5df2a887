"""Administrator views."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from web.admin import bp
from web.auth.access import role_required
from web.extensions import db
from web.models import SupportProgram


@bp.route("/programs")
@role_required("admin", "coordinator")
def programs() -> str:
    items = db.session.scalars(select(SupportProgram).order_by(SupportProgram.id)).all()
    return render_template("admin/programs.html", programs=items)
