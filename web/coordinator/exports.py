"""Exports of the lists as CSV (streamed) and XLSX, and the open data as CSV: /coordinator/exports/<kind>.<fmt>."""
from __future__ import annotations

from flask import Response, abort, request, send_file, stream_with_context
from flask_login import current_user

from web.auth.access import role_required
from web.coordinator import bp, refused
from web.coordinator.lists import DESK
from web.services.errors import NotFound
from web.services.progress import exports
from web.services.progress.scope import parse_filters
from web.services.validation import InvalidInput


def csv_response(table: exports.Table) -> Response:
    """Stream the table's CSV line by line (the request context stays open while the rows are read)."""
    response = Response(stream_with_context(exports.csv_lines(table.headings, table.rows)),
                        mimetype="text/csv", content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{table.filename}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/coordinator/exports/<kind>.<any(csv, xlsx):fmt>")
@role_required(*DESK)
def export(kind: str, fmt: str) -> Response | tuple[str, int]:
    if kind not in exports.EXPORT_KINDS or (fmt == "xlsx" and kind == "opendata"):
        abort(404)
    try:
        filters = parse_filters(current_user, request.args)
        table = exports.export_table(kind, current_user, filters, request.args)
    except NotFound:
        abort(404)
    except InvalidInput as error:
        return refused(error)
    if fmt == "csv":
        return csv_response(table)
    handle = exports.xlsx_file([exports.Sheet(table.title[:31], table.headings, table.rows)])
    return send_file(handle, mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"{table.filename}.xlsx")
