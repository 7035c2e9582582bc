"""The JSON API under /api/v1: reviews from the tablet, and the scorecard feed."""

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from marshmallow import ValidationError

from .. import disclosure, openapi, reviews, scorecard, tokens
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import ReviewSchema, ScorecardQuerySchema

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


# --- The scorecard feed: bearer-token clients, no session --------------------------------------


def bearer_token_or_401():
    """The feed client's token row; 401 when the token is missing, unknown or revoked."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(
            401,
            description="Send an API token: 'Authorization: Bearer <token>'. An admin makes one "
            "with 'flask --app outcomes create-token NAME'.",
        )
    row = tokens.token_for(get_db(), token.strip())
    if row is None:
        abort(401, description="This API token is not valid or has been revoked.")
    return row


def feed_query_or_400(db):
    """The checked query (period, services, format, breakdown); 400 saying what is accepted otherwise."""
    try:
        query = ScorecardQuerySchema().load(request.args.to_dict())
    except ValidationError as error:
        abort(
            400,
            description=" ".join(
                f"{field}: {' '.join(messages)}" for field, messages in flatten_errors(error.messages).items()
            ),
        )
    services = scorecard.services(db)
    if query["service"] is not None:
        chosen = [service for service in services if service["key"] == query["service"]]
        if not chosen:
            accepted = ", ".join(service["key"] for service in services)
            abort(400, description=f"service: Unknown service '{query['service']}'. Accepted: {accepted}.")
        services = chosen
    return query["period"], services, query["format"], query["breakdown"]


@bp.route("/scorecard")
def scorecard_feed():
    """The balanced scorecard of one period, as JSON (default) or tidy CSV."""
    bearer_token_or_401()
    db = get_db()
    period, services, output, breakdown = feed_query_or_400(db)
    card = scorecard.scorecard(db, services, period, disclosure_policy(), breakdown=breakdown)
    if output == "csv":
        return csv_response(card)
    return jsonify(card)


def disclosure_policy():
    """The app's disclosure control policy (setting DISCLOSURE_POLICY), for every published figure."""
    return disclosure.policy_named(current_app.config["DISCLOSURE_POLICY"])


def csv_response(card):
    """The card as a CSV download named after its period."""
    name = f"scorecard-{card['period']['label'].replace(' ', '-')}.csv"
    return Response(
        scorecard.to_csv(card),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of the feed and of POST /api/v1/reviews."""
    return jsonify(openapi.document(scorecard.MEASURES))
