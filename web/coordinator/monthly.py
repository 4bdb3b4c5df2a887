"""The monthly report per prefecture: a printable page (A4) and the same as XLSX."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, render_template, request, send_file
from flask_login import current_user

from web.auth.access import role_required
from web.coordinator import bp, refused
from web.coordinator.lists import DESK
from web.dates import today_jst
from web.services.errors import NotFound
from web.services.progress import exports, monthly
from web.services.progress.rows import parse_month
from web.services.progress.scope import parse_filters
from web.services.validation import InvalidInput


def _month() -> date:
    raw = (request.args.get("month") or "").strip()
    if not raw:
        return today_jst().replace(day=1)
    month = parse_month(raw)
    if month is None:
        raise InvalidInput({"month": ["月は 2026-05 のように年（4桁）と月を半角のハイフンでつないで指定してください。"]})
    return month


def _report() -> monthly.MonthlyReport:
    month = _month()
    return monthly.monthly_report(current_user, parse_filters(current_user, request.args), month)


@bp.route("/coordinator/reports/monthly")
@role_required(*DESK)
def monthly_report() -> str | tuple[str, int]:
    try:
        report = _report()
    except NotFound:
        abort(404)
    except InvalidInput as error:
        return refused(error)
    return render_template("coordinator/monthly_report.html", report=report,
                           args={**report.filters.query_args(), "month": report.month.strftime("%Y-%m")})


@bp.route("/coordinator/reports/monthly.xlsx")
@role_required(*DESK)
def monthly_report_xlsx() -> Response | tuple[str, int]:
    try:
        report = _report()
    except NotFound:
        abort(404)
    except InvalidInput as error:
        return refused(error)
    handle = exports.xlsx_file(monthly.report_sheets(report))
    name = f"monthly_{report.filters.prefecture_code}_{report.month.strftime('%Y-%m')}.xlsx"
    return send_file(handle, mimetype=exports.XLSX_MIMETYPE, as_attachment=True, download_name=name)
