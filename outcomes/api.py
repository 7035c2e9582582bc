"""The JSON API under /api/v1: reviews from the tablet (and, later, the scorecard feed)."""
from flask import Blueprint, abort, jsonify, request
from flask_login import current_user, login_required

from . import reviews
from .db import get_db
from .schemas import ReviewSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return body


@bp.route("/reviews", methods=["POST"])
@login_required
def create_review():
    """Store a review once per UUID: 201 new, 200 already stored, 409 UUID taken, 422 bad input."""
    if current_user.role != "practitioner":
        abort(403, description="Only practitioners record reviews.")
    data = ReviewSchema().load(json_body())
    try:
        review, created = reviews.save_review(get_db(), current_user.id, data)
    except reviews.Conflict as error:
        abort(409, description=str(error))
    return jsonify(review), 201 if created else 200
