"""Admin pages: services, stars, people, caseloads, import and the audit trail."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "admin":
            abort(403, description="This page is for administrators.")
        return view(*args, **kwargs)
    return wrapped


@bp.route("/")
@admin_required
def home():
    return render_template("admin/home.html")
