"""RFC 9457 problem details (application/problem+json) for every error under /api/v1, in Japanese.

API blueprints get these handlers when they are created (see `web.api.auth.api_blueprint`); errors raised
before any blueprint matched (an unknown path, a wrong method) are answered by `problem_for_routing_error`.
The HTML error pages of the rest of the app (web/errors.py) are left alone.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from web.errors import rate_limit_hint
from web.extensions import db
from web.services.errors import NotFound, ServiceError
from web.services.matching import IndexNotReady
from web.services.validation import UNSTORABLE, InvalidInput, find_unstorable

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 60
_LOGGED_DENIALS = frozenset({401, 403, 404})
#: Request bodies nest at most this deep (ours need 3); a deeper document is refused before any parsing recursion.
MAX_JSON_DEPTH = 32
_LOCATIONS = frozenset({"json", "query", "querystring", "view_args", "path", "headers", "form"})

TITLES = {
    400: "リクエストの形式が正しくありません",
    401: "認証が必要です",
    403: "この操作を行う権限がありません",
    404: "見つかりません",
    405: "このメソッドは使えません",
    409: "現在の状態ではこの操作はできません",
    413: "送信されたデータが大きすぎます",
    415: "この形式のデータは受け付けていません",
    422: "入力内容に誤りがあります",
    429: "リクエストが多すぎます",
    500: "システムエラーが発生しました",
    503: "一時的に利用できません",
}
DETAILS = {
    400: "本文を正しいJSON（Content-Type: application/json）で送ってください。",
    401: "Authorization ヘッダーで「Bearer アクセストークン」を送ってください。",
    403: "ご自身の役割では、この操作はできません。",
    404: "指定したデータは存在しないか、参照する権限がありません。",
    405: "このURLで使えるメソッドは Allow ヘッダーで確認してください。",
    409: "データの現在の状態を確認してから、もう一度お試しください。",
    413: "送信するデータを1MB以内にしてください。",
    415: "本文は Content-Type: application/json で送ってください。",
    422: "errors に示した項目を直して、もう一度送ってください。",
    429: "しばらく待ってから、もう一度お試しください（Retry-After ヘッダーの秒数が目安です）。",
    500: "時間をおいてもう一度お試しください。解決しない場合は管理者にお問い合わせください。",
    503: "しばらく待ってから、もう一度お試しください。",
}


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def problem(status: int, detail: str | None = None, *, errors: Mapping[str, list[str]] | None = None,
            headers: Mapping[str, str] | None = None, rule: str | None = None) -> Response:
    """Return an application/problem+json response with a Japanese title and detail."""
    fallback = 500 if status >= 500 else 400
    body: dict[str, Any] = {
        "type": "about:blank", "title": TITLES.get(status, TITLES[fallback]), "status": status,
        "detail": detail or DETAILS.get(status, DETAILS[fallback]),
    }
    if errors:
        body["errors"] = dict(errors)
    if rule:
        body["rule"] = rule
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                          mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    response.headers["Content-Language"] = "ja"
    return response


def _json_depth(data: object) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return deepest


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _expects_json_body() -> bool:
    # flask-smorest records each @bp.arguments(...) of a view in its _apidoc (also read through functools.wraps);
    # a body declared with required=False (POST /requests/{id}/accept) may be left out.
    view = current_app.view_functions.get(request.endpoint or "")
    parameters = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(parameter.get("in") == "json" and parameter.get("required", True) for parameter in parameters)


def check_json_body() -> Response | None:
    """The API's boundary for request bodies: refuse what the views could not read safely, before they parse it.

    A body that is not JSON (also a chunked one, which has no Content-Length) is 415; a missing body where the
    operation takes one is 400; JSON that cannot be decoded (syntax, nesting 50,000 deep, a 5,000-digit number,
    NaN) or nests deeper than MAX_JSON_DEPTH is 400; NUL or a lone surrogate in any string or key is 422 naming it.
    """
    data = request.get_data(cache=True)
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if (data or chunked) and not request.is_json:
        return problem(415)
    if not data.strip():
        return problem(400, "本文がありません。JSONオブジェクトで送ってください。") if _expects_json_body() else None
    try:
        body = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        return problem(400, f"JSONの入れ子が深すぎます。{MAX_JSON_DEPTH}段以内にしてください。")
    except UnicodeDecodeError:
        return problem(400, "本文をUTF-8のJSONで送ってください。")
    except ValueError:  # a syntax error, NaN/Infinity, or an integer longer than Python reads (4,300 digits)
        return problem(400, "本文を正しいJSONで送ってください（数値は4300桁まで、NaN・Infinityは使えません）。")
    if _json_depth(body) > MAX_JSON_DEPTH:
        return problem(400, f"JSONの入れ子が深すぎます。{MAX_JSON_DEPTH}段以内にしてください。")
    unstorable = find_unstorable(body)
    if unstorable:
        message = UNSTORABLE.format(label="この項目")
        return problem(422, errors={path: [message] for path in unstorable})
    return None


def flatten_errors(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Turn webargs/marshmallow messages into {"field" or "field.sub": [messages]}, without locations."""
    found: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if not prefix and key in _LOCATIONS:
                name = ""
            elif key == "_schema":
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten_errors(value, name).items():
                found.setdefault(field, []).extend(texts)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            for field, texts in flatten_errors(item, prefix).items():
                found.setdefault(field, []).extend(texts)
    elif messages is not None:
        found.setdefault(prefix or "body", []).append(str(messages))
    return found


def _log_denial(status: int) -> None:
    if status in _LOGGED_DENIALS:
        user_id = getattr(g, "api_user_id", None)
        logger.info("api denied %s %r -> %d (user %s)", request.method, request.path, status, user_id)


def handle_http_exception(error: HTTPException) -> Response:
    """Answer abort()s, webargs validation errors, rate limits and routing errors as problems."""
    status = error.code or 500
    if status >= 500:
        db.session.rollback()
    data = getattr(error, "data", None) or {}  # set by flask-smorest's / webargs' abort(...)
    errors = flatten_errors(data.get("errors") or data.get("messages")) if status == 422 else None
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    _log_denial(status)
    detail = data.get("message") or (rate_limit_hint(error) if status == 429 else None)
    return problem(status, detail, errors=errors, headers=headers)


def handle_service_error(error: ServiceError) -> Response:
    """Map the services' refusals: invalid input 422, not visible 404, index building 503, others 409."""
    db.session.rollback()
    if isinstance(error, InvalidInput):
        return problem(422, str(error), errors=error.errors)
    if isinstance(error, NotFound):
        _log_denial(404)
        return problem(404, str(error))
    if isinstance(error, IndexNotReady):
        return problem(503, str(error), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return problem(409, str(error), rule=getattr(error, "rule", None))


def handle_unexpected(error: Exception) -> Response:
    """Answer a bug with a generic 500 problem (no traceback); under test it propagates like elsewhere."""
    propagate = current_app.config.get("PROPAGATE_EXCEPTIONS")
    if propagate is None:
        propagate = current_app.testing or current_app.debug
    if propagate:
        raise error
    db.session.rollback()
    logger.exception("unhandled error in the API")
    return problem(500)


def problem_for_routing_error() -> Response | None:
    """Answer 404/405 under /api/v1 as problems: no blueprint matched, so blueprint handlers never run."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or isinstance(error, RequestRedirect):
        return None
    if not is_api_path(request.path):
        return None
    return handle_http_exception(error)
