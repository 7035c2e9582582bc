"""Signing in and out for every role (flask-login), the one-time password link page, and the
role check every blueprint uses."""

from functools import wraps

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from marshmallow import ValidationError

from .. import users
from ..db import get_db
from ..errors import wants_json
from ..schemas import LoginSchema, PasswordResetSchema
from ..security import submitted_form
from .forms import form_page, validation_errors

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"

SIGN_IN_REFUSED = (
    "That email and password did not match an active account. After 5 failed attempts "
    "you will need to wait 15 minutes before trying again."
)

HOME_BY_ROLE = {
    "practitioner": "practitioner.caseload",
    "family": "family.home",
    "manager": "manager.dashboard",
    "admin": "admin.home",
}


class User(UserMixin):
    """The signed-in person: a thin wrapper round their users row."""

    def __init__(self, row):
        self.row = row
        self.id = row["id"]
        self.email = row["email"]
        self.name = row["name"]
        self.role = row["role"]

    @property
    def is_active(self):
        return bool(self.row["active"])


@login_manager.unauthorized_handler
def unauthorized():
    """API callers get a JSON 401; people are sent to the sign-in page."""
    if wants_json():
        abort(401, description="Sign in first.")
    flash(login_manager.login_message)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@login_manager.user_loader
def load_user(user_id):
    row = users.user_by_id(get_db(), int(user_id))
    return User(row) if row else None


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
            row = users.authenticate(get_db(), data["email"], data["password"])
            if row is None:
                raise ValidationError(SIGN_IN_REFUSED)
            session.clear()
            login_user(User(row))
            return redirect(_safe_next() or home_url(current_user))
    return form_page("auth/login.html", errors, form=form)


def _safe_next():
    """Only follow a local `next` path, never an absolute URL (open-redirect guard)."""
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    db = get_db()
    account = users.reset_for_token(db, token)
    if account is None:
        abort(404, description=users.RESET_REFUSED)
    errors = {}
    if request.method == "POST":
        with validation_errors() as errors:
            users.use_reset(db, token, PasswordResetSchema().load(submitted_form())["password"])
            # Whoever was signed in on this browser is signed out: the new password is for the account.
            logout_user()
            session.clear()
            flash("Your password is set. Sign in with it now.")
            return redirect(url_for("auth.login"))
    return form_page("account/reset_password.html", errors, account=account)


def init_app(app):
    login_manager.init_app(app)
