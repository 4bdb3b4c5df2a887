"""The JSON API under /api/v1 (flask-smorest, OpenAPI 3 at /api/v1/openapi.json).

Modules: auth (bearer tokens, the guard, cookie isolation), tokens (token storage), issues, experts, programs,
booking (requests, engagements, visits, reports; schemas in booking_schemas),
schemas/fields (marshmallow, Japanese messages) and errors (RFC 9457 problem+json).

Config (defaults set here): API_TOKEN_HOURS (8), API_MAX_CONTENT_LENGTH (1 MiB per request body),
API_TITLE/API_VERSION/OPENAPI_*; the token endpoint shares RATELIMIT_LOGIN with the login form.
Numbers are JSON numbers: unlike the web forms, the API refuses "6" and full-width "６" for an integer field,
so the OpenAPI types stay true.
"""
from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from web.api import auth, booking, dashboard, experts, exports, issues, me, programs
from web.api.errors import API_PREFIX, PROBLEM_JSON, problem_for_routing_error
from web.api.schemas import DocumentRules, ProblemSchema
from web.extensions import csrf

DESCRIPTION = (
    "自治体DX課題と外部デジタル人材のマッチングAPI。POST /api/v1/auth/token で取得したアクセストークンを "
    "Authorization: Bearer ヘッダーで送ってください（Cookieによる認証は使えません）。"
    "エラーはすべて application/problem+json（RFC 9457）で、title と detail は日本語です。"
    "整数の項目はJSONの数値で送ってください（\"6\" や全角の \"６\" のような文字列は受け付けません）。"
)


class ProblemApi(Api):
    """flask-smorest's Api with problem+json errors, handled per API blueprint instead of app-wide."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Leave the app's HTML error pages alone (API blueprints bring their own handlers)."""

    def _register_responses(self) -> None:
        """Document every error response as application/problem+json (flask-smorest says application/json)."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "エラー（application/problem+json）", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


def _configure(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "DXマッチング API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION}, "security": [{auth.BEARER_SCHEME: []}],
    })
    app.config.setdefault("API_TOKEN_HOURS", 8)
    app.config.setdefault("API_MAX_CONTENT_LENGTH", 1024 * 1024)


def init_api(app: Flask) -> None:
    """Register the API on the app."""
    _configure(app)
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [DocumentRules()]})
    api.spec.components.security_scheme(auth.BEARER_SCHEME, {
        "type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token で取得したアクセストークン",
    })
    for blueprint in (auth.bp, issues.bp, experts.bp, programs.bp, me.bp, *booking.blueprints, dashboard.bp,
                      exports.bp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.before_request(problem_for_routing_error)
    app.session_interface = auth.CookielessApiSessions(app.session_interface)
