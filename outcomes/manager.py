"""Managers' pages: aggregated impact of the services they manage. Never a child's name."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from .db import get_db
from .users import service_ids

bp = Blueprint("manager", __name__, url_prefix="/manager")


def manager_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role not in ("manager", "admin"):
            abort(403, description="This page is for service managers.")
        return view(*args, **kwargs)
    return wrapped


@bp.route("/")
@manager_required
def dashboard():
    db = get_db()
    ids = service_ids(db, current_user.id, "manager")
    services = [db["services"].get(service_id) for service_id in ids]
    return render_template("manager/dashboard.html", services=services)
