"""/api/v1/exports/{kind}.csv: the lists behind the dashboard (and the open data) as CSV, streamed.

Scope is scope.py's: coordinators their prefecture, officers their town (owned or co-owned issues), experts only
their own requests and engagements and what hangs off them (no caps, no open data), admins any prefecture. A
prefecture or town outside the caller's scope, or a kind the role may not read, is 404 like a missing one.
The CSV is UTF-8 with a BOM, cells that a spreadsheet would run as formulas are neutralised
(web/services/progress/exports.py); see docs/exports.md.
"""
from __future__ import annotations

from typing import Any

from flask import Response, abort, stream_with_context
from marshmallow import RAISE
from marshmallow.validate import Length, OneOf, Range

from web.api.auth import api_blueprint, current_api_user
from web.api.fields import Digits, QueryNumber, StrictSchema, Text
from web.api.schemas import MUNICIPALITY_CODE, PREFECTURE_CODE, TOWN_CODE
from web.codes import SECTORS
from web.services.progress import exports
from web.services.progress.scope import parse_filters

bp = api_blueprint("api_exports", "/exports", "一覧とオープンデータのCSV書き出し")
API_KINDS = ("issues", "requests", "engagements", "visits", "reports", "caps", "opendata")
CSV_DOC = {
    "description": "CSV（UTF-8、BOM付き、CRLF改行）。1行目は見出し。=・+・-・@ などで始まる文字列はアポストロフィを前に付けて"
                   "数式として実行されないようにしています。",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


class ExportArgsSchema(StrictSchema):
    prefecture_code = Text(validate=Digits(2, "prefecture_code は半角数字2桁で指定してください（例: 01）。"),
                           metadata={**PREFECTURE_CODE, "description": "都道府県（省略時は利用者の都道府県）"})
    fiscal_year = QueryNumber(validate=Range(
        min=2000, max=2100, error="fiscal_year は年度の始まる年を2000から2100までの整数で指定してください（例: 2026）。"),
        metadata={"description": "年度（4月〜翌年3月）の始まる年。省略時は今年度"})
    subprefecture = Text(validate=Length(min=1, max=20, error="subprefecture は1〜20文字で指定してください。"),
                         metadata={"description": "振興局・地域（市町村の subprefecture）"})
    municipality_code = Text(validate=TOWN_CODE, metadata={**MUNICIPALITY_CODE, "description": "市町村"})
    sector = Text(validate=OneOf(list(SECTORS), error="sector は {choices} のいずれかで指定してください。"),
                  metadata={"enum": list(SECTORS), "description": "分野"})
    program_id = QueryNumber(validate=Range(min=1, max=2147483647, error="program_id は1以上の整数で指定してください。"),
                             metadata={"description": "支援制度ID（opendata では使えません: 422。制度の有無の差から"
                                                      "秘匿した数が分かるため）"})


@bp.route("/<kind>.csv", methods=["GET"], parameters=[{
    "in": "path", "name": "kind", "description": "書き出す一覧（opendata は匿名化した集計表）",
    "schema": {"type": "string", "enum": list(API_KINDS)}}])
@bp.arguments(ExportArgsSchema, location="query", unknown=RAISE)
@bp.doc(responses={"200": CSV_DOC})
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def export_csv(args: dict[str, Any], kind: str) -> Response:
    """The rows of one list (issues, requests, engagements, visits, reports, caps) or the open data as CSV."""
    if kind not in API_KINDS:
        abort(404)
    user = current_api_user()
    filters = parse_filters(user, {name: str(value) for name, value in args.items()})
    table = exports.export_table(kind, user, filters, {})
    response = Response(stream_with_context(exports.csv_lines(table.headings, table.rows)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{table.filename}.csv"'
    return response
