"""Japanese error pages; the 500 handler rolls back the failed transaction."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.extensions import db
from web.services.errors import Conflict
from web.urls import is_local_path

logger = logging.getLogger(__name__)

MESSAGES = {
    400: ("リクエストを処理できませんでした", "入力内容を確認して、もう一度お試しください。"),
    403: ("このページを表示する権限がありません", "ご自身の役割で利用できるページからお進みください。"),
    404: ("ページが見つかりません", "URLが正しいか、またはページが削除されていないかご確認ください。"),
    405: ("この操作はできません", "画面のボタンから操作してください。"),
    413: ("送信されたデータが大きすぎます", "内容を短くして、もう一度お試しください。"),
    429: ("短時間に操作が集中しました", "しばらく待ってから、もう一度お試しください。"),
    500: ("システムエラーが発生しました", "時間をおいてもう一度お試しください。解決しない場合は管理者にお問い合わせください。"),
}


def _render(code: int, detail: str | None = None) -> tuple[str, int]:
    title, hint = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, hint=detail or hint), code


def rate_limit_hint(error: HTTPException) -> str | None:
    """Say which window a hit rate limit counts in (「1時間あたりの上限…」), or None for other errors."""
    limit = getattr(getattr(error, "limit", None), "limit", None)
    if limit is None:
        return None
    seconds = int(limit.get_expiry())
    window = next((f"{seconds // unit}{name}" for unit, name in ((86400, "日"), (3600, "時間"), (60, "分"))
                   if seconds >= unit and seconds % unit == 0), f"{seconds}秒")
    return f"この操作は{window}あたりの回数に上限があります。しばらく（最長{window}）待ってから、もう一度お試しください。"


def handle_http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    return _render(code if code in MESSAGES else 500, rate_limit_hint(error) if code == 429 else None)


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    return _render(400, "フォームの有効期限が切れたか、不正な送信です。ページを再読み込みして、もう一度送信してください。")


def handle_conflict(error: Conflict) -> Response:
    """A page whose work collided with an identical request: say so on the page the user came from."""
    db.session.rollback()
    flash(str(error), "error")
    referrer = urlsplit(request.referrer or "")
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    same_site = referrer.netloc == request.host and is_local_path(back)
    return redirect(back if same_site else url_for("main.index"), code=303)


def handle_unexpected(error: Exception) -> tuple[str, int]:
    db.session.rollback()
    logger.exception("unhandled error")
    return _render(500)


def init_errors(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Conflict, handle_conflict)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
