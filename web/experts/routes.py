"""Views of the experts blueprint: sign-up, the own profile (edit, view, reconfirm) and profile pages for staff."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from web.auth.access import role_required
from web.auth.forms import EmptyForm
from web.auth.session import mark_authenticated, recently_authenticated, start_session
from web.experts import bp
from web.experts.forms import DUPLICATE_EMAIL, ProfileForm, SignupForm, profile_form_data
from web.extensions import db, limiter, password_failure_limit, signup_limit
from web.models import ExpertProfile, Prefecture, User
from web.services import accounts, experts
from web.services.errors import Conflict, EmailTaken, NotFound, ServiceError
from web.services.login_throttle import LoginRefused
from web.services.validation import InvalidInput
from web.transaction import commit, transaction


def _no_store(page: str) -> Response:
    """Return a page with contact details that browsers and proxies must not keep (QUALITY.md H4)."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _prefecture_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in db.session.scalars(select(Prefecture).order_by(Prefecture.code))]


def _initial_data(user: User, profile: ExpertProfile | None) -> dict[str, object]:
    """Return the edit form's starting values: the saved profile, or just the sign-up display name."""
    saved = experts.expert_input_from(profile) if profile else experts.ExpertInput(display_name=user.display_name)
    return profile_form_data(saved)


def _own_profile() -> ExpertProfile | None:
    return experts.get_own_profile(current_user._get_current_object())


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(signup_limit, methods=["POST"])
def signup() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            with transaction():
                user = experts.register_expert(form.email.data or "", form.password.data or "",
                                               form.display_name.data or "", bool(form.accept_privacy.data))
        except (EmailTaken, Conflict):
            # Conflict: a concurrent sign-up with the same address won the race.
            form.email.errors.append(DUPLICATE_EMAIL)
        except InvalidInput as error:
            for name, messages in error.errors.items():
                getattr(form, name, form.email).errors.extend(messages)
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            start_session(user)
            flash("登録しました。続けて、プロフィールを入力してください。", "success")
            return redirect(url_for("experts.edit_profile"))
    return render_template("experts/signup.html", form=form, notice_version=experts.PRIVACY_NOTICE_VERSION)


@bp.route("/profile/edit", methods=["GET", "POST"])
@role_required("expert")
# Only wrong passwords draw on the shared per-IP budget of failures: ordinary saves are never throttled by it.
@password_failure_limit
def edit_profile() -> Response:
    user = current_user._get_current_object()
    profile = experts.get_own_profile(user)
    form = ProfileForm(_prefecture_choices(), data=None if request.method == "POST" else _initial_data(user, profile))
    submitted = form.validate_on_submit()
    may_change_contact = submitted and _password_recently_entered(form, user)
    if submitted and not form.current_password.errors:  # a wrong password saves nothing
        try:
            with transaction():
                experts.save_profile(user, form.to_input(), may_change_contact=may_change_contact)
        except InvalidInput as error:
            for message in form.show_errors(error.errors):
                flash(message, "error")
        else:
            flash("プロフィールを保存しました。", "success")
            return redirect(url_for("experts.my_profile"))
    return _no_store(render_template("experts/edit_profile.html", form=form, is_new=profile is None))


def _password_recently_entered(form: ProfileForm, user: User) -> bool:
    """Contact details change only with a password entered in the last REAUTH_MINUTES (at login or here).

    A wrong password is audited, counted (per account and per IP) and its message put under the field."""
    if recently_authenticated():
        return True
    if not form.current_password.data:
        return False
    try:
        accounts.check_password_again(user, form.current_password.data, request.remote_addr)
    except LoginRefused as refusal:  # a wrong password, or the account's logins are locked for a while
        commit()  # keep the failure count and its audit record; nothing else is saved
        form.current_password.errors = [*form.current_password.errors, str(refusal)]
        return False
    mark_authenticated()
    return True


@bp.route("/profile")
@role_required("expert")
def my_profile() -> Response:
    profile = _own_profile()
    if profile is None:
        flash("プロフィールがまだ登録されていません。入力してください。", "info")
        return redirect(url_for("experts.edit_profile"))
    return _no_store(render_template("experts/my_profile.html", profile=profile))


@bp.route("/profile/confirm", methods=["POST"])
@role_required("expert")
def confirm_availability() -> Response:
    profile = _own_profile()
    if profile is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        with transaction():
            experts.reconfirm_availability(profile)
        flash("対応可能状況を確認済みにしました。", "success")
    return redirect(url_for("experts.my_profile"))


@bp.route("/<int:expert_id>")
@login_required
def detail(expert_id: int) -> str | Response:
    viewer = current_user._get_current_object()
    try:
        profile = experts.get_visible_expert(viewer, expert_id)
    except NotFound:
        abort(404)
    with transaction():  # keep the audit record of the disclosure
        show_contact = experts.disclose_contact(viewer, profile) is not None
    page = render_template("experts/detail.html", profile=profile, show_contact=show_contact)
    return _no_store(page) if show_contact else page
