"""Bearer-token authentication: the token endpoints, the guard every API blueprint runs, and cookie isolation.

The API authenticates only by `Authorization: Bearer <token>`. It never reads or writes the session cookie
(CookielessApiSessions), so a logged-in browser cannot be made to call it (no CSRF exposure), and the API
blueprints are exempt from Flask-WTF's CSRF check.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import Flask, current_app, g, request
from flask.sessions import SessionInterface, SessionMixin
from flask.wrappers import Request, Response
from flask_smorest import Blueprint
from webargs.flaskparser import abort  # flask-smorest re-exports it untyped; this one is NoReturn
from werkzeug.exceptions import HTTPException

from web.api import tokens
from web.api.errors import (
    API_PREFIX,
    check_json_body,
    handle_http_exception,
    handle_service_error,
    handle_unexpected,
    is_api_path,
)
from web.api.schemas import TokenRequestSchema, TokenSchema
from web.extensions import password_failure_limit
from web.models import ApiToken, User
from web.services import accounts
from web.services.errors import ServiceError
from web.services.login_throttle import LoginRefused
from web.transaction import commit

BEARER_SCHEME = "bearerAuth"
# Row ids in URLs: 1 .. the largest PostgreSQL integer; anything else is a 404 before the database is asked.
ID = "int(min=1, max=2147483647)"
_BEARER = re.compile(r"Bearer +([A-Za-z0-9_\-]{20,128})", re.IGNORECASE)
_CHALLENGE = 'Bearer realm="dx-match"'
_INVALID_TOKEN = _CHALLENGE + ', error="invalid_token"'
View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Let a view be called without a bearer token."""
    view._api_public = True  # type: ignore[attr-defined]
    return view


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """Return an API blueprint that requires a bearer token and answers every error as problem+json."""
    blp = Blueprint(name, __name__, url_prefix=API_PREFIX + url_prefix, description=description)
    blp.before_request(_authenticate)
    blp.before_request(_check_body)
    blp.after_request(_no_store)
    blp.register_error_handler(HTTPException, handle_http_exception)
    blp.register_error_handler(ServiceError, handle_service_error)
    blp.register_error_handler(Exception, handle_unexpected)
    return blp


def current_api_user() -> User:
    """Return the user the bearer token belongs to (set by the blueprint guard)."""
    return g.api_user  # type: ignore[no-any-return]


def requires_role(roles: frozenset[str], message: str) -> Callable[[View], View]:
    """Refuse other roles with 403 before the body is even parsed (put it above @bp.arguments)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_api_user().role not in roles:
                abort(403, message=message)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method == "OPTIONS" or getattr(view, "_api_public", False):
        return
    header = request.headers.get("Authorization")
    if not header:
        abort(401, headers={"WWW-Authenticate": _CHALLENGE})
    match = _BEARER.fullmatch(header.strip())
    token = tokens.find_usable_token(match.group(1)) if match else None
    if token is None:
        abort(401, message="アクセストークンが無効か、有効期限が切れています。POST /api/v1/auth/token で取り直してください。",
              headers={"WWW-Authenticate": _INVALID_TOKEN})
    if tokens.record_use(token):
        commit()  # the authentication step is its own small unit of work
    g.api_token, g.api_user, g.api_user_id = token, token.user, token.user_id


def _check_body() -> Response | None:
    request.max_content_length = current_app.config["API_MAX_CONTENT_LENGTH"]
    # A form or text body would otherwise read as an empty JSON object (and a PATCH would "succeed").
    return check_json_body()


def _no_store(response: Response) -> Response:
    # Responses carry personal data and tokens: never cache them (ASVS 14.3.2).
    response.headers["Cache-Control"] = "no-store"
    return response


class CookielessApiSessions(SessionInterface):
    """Wrap the app's session interface so requests under /api/v1 get no session at all."""

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if is_api_path(request.path):
            return None  # Flask then uses a null session, which is never saved
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        self.inner.save_session(app, session, response)

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)


# ---------------------------------------------------------------- endpoints

bp = api_blueprint("api_auth", "/auth", "アクセストークンの発行と失効")



@bp.route("/token", methods=["POST"])
@public
@password_failure_limit
@bp.doc(security=[])
@bp.arguments(TokenRequestSchema)
@bp.response(200, TokenSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
def create_token(credentials: dict[str, str]) -> dict[str, Any]:
    """Exchange an email and password for a bearer token valid for API_TOKEN_HOURS.

    Failures are counted per account with the login form (429 with Retry-After while the address is locked)."""
    try:
        user = accounts.authenticate(credentials["email"], credentials["password"], request.remote_addr)
    except LoginRefused as refusal:
        commit()  # keep the failure count and its audit record
        _refuse_login(refusal)
    raw, token = tokens.issue_token(user, float(current_app.config["API_TOKEN_HOURS"]))
    commit()
    return {"token": raw, "expires_at": token.expires_at}


def _refuse_login(refusal: LoginRefused) -> NoReturn:
    retry = refusal.retry_after_seconds
    headers = {} if retry is None else {"Retry-After": str(retry)}
    if not refusal.checked:
        abort(429, message=str(refusal), headers=headers)
    abort(401, message=str(refusal), headers={"WWW-Authenticate": _CHALLENGE, **headers})


@bp.route("/token", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(401, response="UNAUTHORIZED")
def revoke_token() -> None:
    """Revoke the token this request was made with."""
    token: ApiToken = g.api_token
    tokens.revoke_token(token)
    commit()
