"""The input boundary of the web pages, installed on the app once (the API has its own for JSON bodies:
web.api.errors.check_json_body; the services check every field again for forms, the CLI and the seed loader).

- Row ids in URLs are bounded (web.urls.RowIdConverter): /issues/2147483648 is a 404, never a database error.
- NUL in the path, the query string or a submitted form is refused with a Japanese 400 page before any view runs,
  so no view can look it up in PostgreSQL (which refuses NUL). Browsers never send NUL from a form field, and
  werkzeug keeps invalid UTF-8 as %-escapes, so form values cannot hold a lone surrogate.
"""
from __future__ import annotations

from flask import Flask, render_template, request

from web.api.errors import is_api_path
from web.services.validation import is_storable
from web.urls import register_converters

FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
REFUSED = "送信された内容に使えない文字（NUL文字）が含まれています。画面から入力し直してください。"


def init_boundary(app: Flask) -> None:
    """Install the bounded id converter (before any blueprint) and the NUL guard."""
    register_converters(app.url_map)
    app.before_request(refuse_unstorable_input)


def _submitted() -> list[str]:
    values = [request.path, *[text for pair in request.args.items(multi=True) for text in pair]]
    if request.mimetype in FORM_MIMETYPES:
        values += [text for pair in request.form.items(multi=True) for text in pair]
    return values


def refuse_unstorable_input() -> tuple[str, int] | None:
    if is_api_path(request.path):
        return None  # the API answers problem+json from its own boundary
    if all(is_storable(value) for value in _submitted()):
        return None
    return render_template("errors/error.html", code=400, title="リクエストを処理できませんでした", hint=REFUSED), 400
