"""Family pages: their own child's star, their view and their rating."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from .db import get_db

bp = Blueprint("family", __name__, url_prefix="/family")


def family_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "family":
            abort(403, description="This page is for families.")
        return view(*args, **kwargs)
    return wrapped


@bp.route("/")
@family_required
def home():
    children = list(get_db().query(
        """SELECT c.id, c.given_name, c.family_name FROM children c
           JOIN family_links l ON l.child_id = c.id WHERE l.user_id = ? ORDER BY c.given_name""",
        [current_user.id],
    ))
    return render_template("family/home.html", children=children)
