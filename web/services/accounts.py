"""Accounts: authentication, creation and session ending."""
from __future__ import annotations

import hashlib
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from web.codes import USER_ROLES
from web.extensions import db
from web.models import ApiToken, Municipality, Prefecture, User
from web.models.base import utcnow
from web.services import audit, login_throttle
from web.services.errors import EmailTaken, ServiceError
from web.services.login_throttle import LoginRefused
from web.services.validation import Checker, normalise_email

MIN_PASSWORD_LENGTH = 8
WRONG_CURRENT_PASSWORD = "現在のパスワードが正しくありません。"
# A few of the most common passwords (a local list: no network look-ups).
COMMON_PASSWORDS = frozenset({
    "password", "password1", "12345678", "123456789", "1234567890", "qwertyui", "qwerty123",
    "11111111", "00000000", "abcd1234", "iloveyou", "passw0rd", "admin123", "letmein1", "p@ssw0rd",
})


def _ip_tag(ip: str | None) -> str | None:
    """Return a short hash of the client IP: enough to correlate attempts, not to identify a person."""
    if not ip:
        return None
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{ip}".encode()).hexdigest()[:12]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str, ip: str | None = None) -> User:
    """Return the active user with these credentials, auditing the attempt either way.

    Raises LoginRefused (the same answer for an unknown address, a wrong password and an inactive account;
    with the time to retry while the address is locked). The caller commits either way: the failure count is
    kept in the database (services.login_throttle).
    """
    attempt = _begin_attempt(email, "login_failed", None, ip)
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response time does not reveal unknown emails.
        check_password_hash(_dummy_hash(), password)
        audit.record("login_failed", object_type="user", reason="unknown", ip=_ip_tag(ip))
        raise login_throttle.fail(attempt, None)
    if not user.check_password(password) or not user.active:
        reason = "inactive" if user.active is False else "password"
        audit.record("login_failed", object_type="user", object_id=user.id, reason=reason, ip=_ip_tag(ip))
        raise login_throttle.fail(attempt, user)
    login_throttle.succeed(attempt)
    user.last_login_at = utcnow()
    audit.record("login", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))
    return user


def _begin_attempt(email: str, action: str, user: User | None, ip: str | None) -> login_throttle.Attempt:
    """Count a password attempt; a refusal because of the lock is audited as `action` with reason "locked"."""
    try:
        return login_throttle.begin_attempt(email)
    except LoginRefused:
        user_id = user.id if user else None
        audit.record(action, actor_id=user_id, object_type="user", object_id=user_id, reason="locked", ip=_ip_tag(ip))
        raise


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("dummy_password_hash", {})
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in cache:
        cache[method] = generate_password_hash("dummy-password-for-timing", method=method)
    return str(cache[method])


def end_sessions(user: User, ip: str | None = None) -> None:
    """Sign out everywhere: invalidate every session cookie and every API token issued to `user`."""
    user.end_all_sessions()
    revoke_api_tokens(user)
    audit.record("logout", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))


def revoke_api_tokens(user: User) -> int:
    """Revoke every API bearer token of `user` that is still usable; return how many."""
    result = db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
    )
    revoked = cast(CursorResult[Any], result).rowcount
    if revoked:
        audit.record("api_tokens_revoked", actor_id=user.id, object_type="user", object_id=user.id, count=revoked)
    return int(revoked or 0)


def deactivate_user(user: User, actor: User | None = None) -> None:
    """Deactivate an account: it can no longer log in, and its sessions and API tokens end now."""
    user.active = False
    user.end_all_sessions()
    revoke_api_tokens(user)
    db.session.flush()
    audit.record("user_deactivated", actor_id=actor.id if actor else None, object_type="user", object_id=user.id)


def check_password_again(user: User, password: str, ip: str | None = None) -> None:
    """Check the signed-in user's password again before a sensitive change (one count with the login).

    Raises LoginRefused (saying when to retry once the account is locked); a wrong entry is audited.
    """
    attempt = _begin_attempt(user.email, "reauth_failed", user, ip)
    if user.check_password(password):
        login_throttle.succeed(attempt)
        return
    audit.record("reauth_failed", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))
    raise login_throttle.fail(attempt, user, WRONG_CURRENT_PASSWORD)


def change_password(user: User, current: str, new: str, ip: str | None = None) -> None:
    """Replace the password after checking the current one; every other session and every API token ends.

    Raises ServiceError (with the field it belongs to in ``field``) and changes nothing on bad input.
    """
    try:
        check_password_again(user, current, ip)
    except LoginRefused as refusal:
        raise ServiceError(str(refusal), field="current_password") from refusal
    try:
        validate_password(new)
    except ServiceError as error:
        raise ServiceError(str(error), field="new_password") from error
    if user.check_password(new):
        raise ServiceError("新しいパスワードは、現在のものと違うものにしてください。", field="new_password")
    user.set_password(new, method=current_app.config["PASSWORD_HASH_METHOD"])
    user.end_all_sessions()
    revoke_api_tokens(user)
    audit.record("password_changed", actor_id=user.id, object_type="user", object_id=user.id, ip=_ip_tag(ip))


def validate_password(password: str) -> None:
    """Refuse passwords that are too short or too common (NIST 800-63B style: no composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if password.lower() in COMMON_PASSWORDS:
        raise ServiceError("よく使われるパスワードは使えません。推測されにくいものにしてください。")


def create_user(email: str, password: str, role: str, display_name: str | None = None,
                municipality_code: str | None = None, prefecture_code: str | None = None) -> User:
    """Create an account after checking role, scope, password and email uniqueness.

    The e-mail and the name pass the input boundary (NUL and lone surrogates refused; bidi and zero-width
    characters dropped from the name) whether they come from the sign-up form, the CLI or the seed loader.
    """
    if role not in USER_ROLES:
        raise ServiceError(f"役割「{role}」は使えません。officer, expert, coordinator, admin のいずれかです。")
    email, name = _checked_identity(email, display_name)
    _check_scope(role, municipality_code, prefecture_code)
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise EmailTaken("このメールアドレスはすでに登録されています。")
    user = User(email=email, role=role, display_name=name or email.split("@")[0],
                municipality_code=municipality_code, prefecture_code=prefecture_code)
    user.set_password(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", object_type="user", object_id=user.id, role=role)
    return user


def _checked_identity(email: str, display_name: str | None) -> tuple[str, str]:
    """Return the normalised e-mail and the cleaned display name, or raise InvalidInput naming the field."""
    checker = Checker()
    email = normalise_email(checker.storable("email", "メールアドレス", email))
    name = checker.text("display_name", "表示名", display_name, required=False, max_len=60) if display_name else ""
    checker.raise_if_any()
    return email, name


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
