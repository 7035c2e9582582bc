"""The one-time link page where staff set a password (sent by an admin). Thin; see people.py."""
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import logout_user
from marshmallow import ValidationError

from . import people
from .security import submitted_form
from .db import get_db
from .errors import flatten_errors
from .schemas import PasswordResetSchema

bp = Blueprint("password_reset", __name__)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset(token):
    db = get_db()
    account = people.reset_for_token(db, token)
    if account is None:
        abort(404, description=people.RESET_REFUSED)
    errors = {}
    if request.method == "POST":
        form = submitted_form()
        try:
            data = PasswordResetSchema().load(form)
            people.use_reset(db, token, data["password"])
        except ValidationError as error:
            errors = flatten_errors(error.messages)
        else:
            # Whoever was signed in on this browser is signed out: the new password is for the account.
            logout_user()
            session.clear()
            flash("Your password is set. Sign in with it now.")
            return redirect(url_for("auth.login"))
    return render_template("account/reset_password.html", account=account, errors=errors), (422 if errors else 200)
