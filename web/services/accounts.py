"""Accounts: authentication, creation and session ending."""
from __future__ import annotations

import hashlib
import unicodedata

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from web.codes import USER_ROLES
from web.extensions import db
from web.models import Municipality, Prefecture, User
from web.models.base import utcnow
from web.services import audit
from web.services.errors import EmailTaken, ServiceError

MIN_PASSWORD_LENGTH = 8
# A few of the most common passwords (a local list: no network look-ups).
COMMON_PASSWORDS = frozenset({
    "password", "password1", "12345678", "123456789", "1234567890", "qwertyui", "qwerty123",
    "11111111", "00000000", "abcd1234", "iloveyou", "passw0rd", "admin123", "letmein1", "p@ssw0rd",
})


def normalise_email(email: str) -> str:
    """Return the address as stored: full-width characters made half-width (NFKC), trimmed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def _ip_tag(ip: str | None) -> str | None:
    """Return a short hash of the client IP: enough to correlate attempts, not to identify a person."""
    if not ip:
        return None
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{ip}".encode()).hexdigest()[:12]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str, ip: str | None = None) -> User | None:
    """Return the active user with these credentials, auditing the attempt either way."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response time does not reveal unknown emails.
        check_password_hash(_dummy_hash(), password)
        audit.record("login_failed", object_type="user", reason="unknown", ip=_ip_tag(ip))
        return None
    if not user.check_password(password) or not user.active:
        reason = "inactive" if user.active is False else "password"
        audit.record("login_failed", object_type="user", object_id=user.id, reason=reason, ip=_ip_tag(ip))
        return None
    user.last_login_at = utcnow()
    audit.record("login", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))
    return user


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = generate_password_hash("dummy-password-for-timing", method=method)
    return str(cache[method])


def end_sessions(user: User, ip: str | None = None) -> None:
    """Invalidate every session cookie issued to `user`."""
    user.end_all_sessions()
    audit.record("logout", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))


def confirm_password(user: User, password: str, ip: str | None = None) -> bool:
    """Check the signed-in user's password again (before a sensitive change); audit a wrong one."""
    if user.check_password(password):
        return True
    audit.record("reauth_failed", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))
    return False


def change_password(user: User, current: str, new: str, ip: str | None = None) -> None:
    """Replace the password after checking the current one; every other session of the user ends.

    Raises ServiceError (with the field it belongs to in ``field``) and changes nothing on bad input.
    """
    if not confirm_password(user, current, ip):
        raise ServiceError("現在のパスワードが正しくありません。", field="current_password")
    try:
        validate_password(new)
    except ServiceError as error:
        raise ServiceError(str(error), field="new_password") from error
    if user.check_password(new):
        raise ServiceError("新しいパスワードは、現在のものと違うものにしてください。", field="new_password")
    user.set_password(new, method=current_app.config["PASSWORD_HASH_METHOD"])
    user.end_all_sessions()
    audit.record("password_changed", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))


def validate_password(password: str) -> None:
    """Refuse passwords that are too short or too common (NIST 800-63B style: no composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if password.lower() in COMMON_PASSWORDS:
        raise ServiceError("よく使われるパスワードは使えません。推測されにくいものにしてください。")


def create_user(email: str, password: str, role: str, display_name: str | None = None,
                municipality_code: str | None = None, prefecture_code: str | None = None) -> User:
    """Create an account after checking role, scope, password and email uniqueness."""
    if role not in USER_ROLES:
        raise ServiceError(f"役割「{role}」は使えません。officer, expert, coordinator, admin のいずれかです。")
    _check_scope(role, municipality_code, prefecture_code)
    validate_password(password)
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise EmailTaken("このメールアドレスはすでに登録されています。")
    user = User(email=email, role=role, display_name=display_name or email.split("@")[0],
                municipality_code=municipality_code, prefecture_code=prefecture_code)
    user.set_password(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", object_type="user", object_id=user.id, role=role)
    return user


def _check_scope(role: str, municipality_code: str | None, prefecture_code: str | None) -> None:
    if role == "officer":
        if not municipality_code or prefecture_code:
            raise ServiceError("市町村職員には --municipality（6桁の団体コード）だけを指定してください。")
        if db.session.get(Municipality, municipality_code) is None:
            raise ServiceError(f"団体コード {municipality_code} の市町村は登録されていません。")
    elif role == "coordinator":
        if not prefecture_code or municipality_code:
            raise ServiceError("コーディネーターには --prefecture（2桁の都道府県コード）だけを指定してください。")
        if db.session.get(Prefecture, prefecture_code) is None:
            raise ServiceError(f"都道府県コード {prefecture_code} は登録されていません。")
    elif municipality_code or prefecture_code:
        raise ServiceError("外部人材と管理者には市町村・都道府県を指定しません。")
