"""Signing in and out for every role (flask-login), the one-time password link page, and the
role check every blueprint uses."""

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from .. import audit, mail, sessions, sso, users, wording
from ..db import get_db
from ..errors import wants_json
from ..schemas import LoginSchema, PasswordResetSchema
from ..security import submitted_form
from .forms import form_page, validation_errors

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
# Sessions are bound to a server-side record instead (outcomes/sessions.py): flask-login's
# "strong" protection hashes the client's own X-Forwarded-For, which anyone can forge.
login_manager.session_protection = None

STAFF_USE_SSO = "Staff sign in with their organisation account: use the button above."
SIGN_IN_REFUSED = (
    "That email and password did not match an active account. After several failed attempts "
    "you will need to wait a little longer before each new try."
)

HOME_BY_ROLE = {
    "practitioner": "practitioner.caseload",
    "family": "family.home",
    "manager": "manager.dashboard",
    "admin": "admin.home",
}


class User(UserMixin):
    """The signed-in person: a thin wrapper round their users row."""

    def __init__(self, row, token):
        self.row = row
        # flask-login keeps get_id() in the cookie: the session's token, never the account's id.
        self.token = token
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]

    @property
    def is_active(self):
        return bool(self.row["active"])

    def get_id(self):
        return self.token


def sign_in(row):
    """Start a fresh server-side session for this account on this browser."""
    logout_user()
    session.clear()
    login_user(User(row, sessions.start(get_db(), row["id"])))


def sign_out():
    """End this browser's session, server-side too, so a copied cookie stops working."""
    if current_user.is_authenticated:
        sessions.end(get_db(), current_user.token)
    logout_user()
    session.clear()


@login_manager.unauthorized_handler
def unauthorized():
    """API callers get a JSON 401; people are sent to the sign-in page."""
    if wants_json():
        abort(401, description="Sign in first.")
    flash(login_manager.login_message)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@login_manager.user_loader
def load_user(token):
    row = sessions.resume(get_db(), token)
    return User(row, token) if row else None


def role_required(*roles, message):
    """A view decorator: signed in with one of `roles`, or 403 with `message`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403, description=message)
            return view(*args, **kwargs)

        return wrapped

    return decorator


@bp.app_context_processor
def inject_viewer():
    """Whoever is signed in, as `viewer` (the account itself: each use of flask-login's current_user
    proxy looks the user up again), and the header's plain-words role, looked up only when shown."""
    viewer = current_user._get_current_object()

    def viewer_title():
        names = viewer.row.get("service_names")
        return wording.role_title(viewer.role, names.split("|") if names else [])

    return {"viewer": viewer, "viewer_title": viewer_title}


def home_url(user):
    return url_for(HOME_BY_ROLE[user.role])


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    errors, form = {}, {}
    if request.method == "POST":
        form = submitted_form()
        with validation_errors() as errors:
            data = LoginSchema().load(form)
            try:
                row = users.authenticate(
                    get_db(), data["email"], data["password"], address=request.remote_addr or ""
                )
            except users.TooManyAttempts as wait:
                return _too_many(wait, form)
            if row is None:
                raise ValidationError(SIGN_IN_REFUSED)
            if row["role"] != "family" and not password_sign_in_for_staff():
                raise ValidationError(STAFF_USE_SSO)
            sign_in(row)
            audit.record(get_db(), row["id"], "sign in", None, "password")
            return redirect(safe_next(request.args.get("next", "")) or home_url(current_user))
    return form_page("auth/login.html", errors, form=form, **_sign_in_choices())


def password_sign_in_for_staff():
    """Staff may use passwords unless single sign-on is configured and passwords switched off."""
    return not sso.configured() or bool(current_app.config["STAFF_PASSWORD_SIGN_IN"])


def _sign_in_choices():
    return {
        "sso_on": sso.configured(),
        "sso_label": current_app.config["OIDC_BUTTON_LABEL"],
        "staff_passwords": password_sign_in_for_staff(),
    }


def _too_many(wait, form):
    """The sign-in page again, 429 with Retry-After: the throttle's wait, whatever was typed."""
    page, _ = form_page("auth/login.html", {"_schema": [wait.message]}, form=form, **_sign_in_choices())
    return page, 429, {"Retry-After": str(wait.seconds)}


def safe_next(target):
    """A `next` target only if it is a path on this site; None for anything a browser could read as
    another host ('//evil', '/\\evil', '/%09/evil' once decoded, a scheme) or a header-breaking
    character."""
    from urllib.parse import unquote, urlsplit

    if not isinstance(target, str) or not target.startswith("/"):
        return None
    decoded = unquote(target)
    for text in (target, decoded):
        if "\\" in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            return None
        if text.startswith("//") or urlsplit(text).netloc or urlsplit(text).scheme:
            return None
    return target


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the local session; after single sign-on, go on to end the provider's too, where it
    offers that (RP-initiated logout), so the next person on a shared tablet is asked to sign in."""
    by_sso = session.get("signed_in_by") == "sso"
    sign_out()
    flash("You have signed out.")
    provider_logout = sso.logout_url(mail.absolute_url("auth.login")) if by_sso and sso.configured() else None
    return redirect(provider_logout or url_for("auth.login"))


@bp.route("/sso/login")
def sso_login():
    """Off to the organisation's sign-in page (404 when single sign-on is not configured)."""
    if not sso.configured():
        abort(404, description="Single sign-on is not configured here.")
    try:
        return sso.start(mail.absolute_url("auth.sso_callback"))
    except sso.Refused as refused:
        return _sso_refused(refused, 503)


@bp.route("/sso/callback")
def sso_callback():
    """The provider's answer: checked, matched to a staff account, or refused with the reason."""
    if not sso.configured():
        abort(404, description="Single sign-on is not configured here.")
    db = get_db()
    try:
        account = sso.account_for(db, sso.finish(request.args))
    except sso.Refused as refused:
        return _sso_refused(refused, 403)
    sign_in(account)
    session["signed_in_by"] = "sso"
    return redirect(home_url(current_user))


def _sso_refused(refused, status):
    current_app.logger.warning("single sign-on refused: %s", refused.message)
    page = render_template("auth/sso_refused.html", message=refused.message, **_sign_in_choices())
    return page, status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password_link(token):
    """The emailed link: its token moves into the session at once and the browser goes on to the
    token-free page, so the token is not in the address bar, history, Referer or later log lines."""
    if users.reset_for_token(get_db(), token) is None:
        abort(404, description=users.RESET_REFUSED)
    if request.method == "POST":
        return _reset_form(token)
    session["reset_token"] = token
    return redirect(url_for("auth.reset_password"), 303)


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    return _reset_form(session.get("reset_token", ""))


def _reset_form(token):
    db = get_db()
    account = users.reset_for_token(db, token) if token else None
    if account is None:
        abort(404, description=users.RESET_REFUSED)
    errors = {}
    if request.method == "POST":
        with validation_errors() as errors:
            users.use_reset(db, token, PasswordResetSchema().load(submitted_form())["password"])
            # Whoever was signed in on this browser is signed out: the new password is for the account.
            sign_out()
            flash("Your password is set. Sign in with it now.")
            return redirect(url_for("auth.login"))
    return form_page("account/reset_password.html", errors, account=account)


def init_app(app):
    login_manager.init_app(app)
    sso.init_app(app)
