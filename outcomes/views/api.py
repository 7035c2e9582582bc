"""The JSON API under /api/v1: reviews from the tablet, and the scorecard feed."""

import hashlib
from datetime import date

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from marshmallow import ValidationError

from .. import openapi, reviews, scorecard, tokens
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
    """The checked query (period, services, format); 400 saying what is accepted otherwise."""
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
    return query["period"], services, query["format"]


@bp.route("/scorecard")
def scorecard_feed():
    """The balanced scorecard of one period, as JSON (default) or tidy CSV; 304 when unchanged."""
    bearer_token_or_401()
    db = get_db()
    period, services, output = feed_query_or_400(db)
    return cached_feed(db, lambda: _feed_response(db, period, services, output))


def _feed_response(db, period, services, output):
    card = scorecard.scorecard(db, services, period, current_app.config["SUPPRESSION_THRESHOLD"])
    if output == "csv":
        return csv_response(card)
    return jsonify(card)


# --- Feed caching -------------------------------------------------------------------------------
# A card is a pure function of the query, the figures' data version (bumped by triggers in every
# write's own transaction, migration 4), the suppression threshold and today's date. The ETag is
# derived from exactly those, so every worker gives the same one and a client's copy revalidates
# with a 304; each worker keeps its recent answers so that repeated pulls skip the computation.
_FEED_CACHE = {}
_FEED_CACHE_SIZE = 64


def cached_feed(db, build):
    version = db.execute("SELECT n FROM data_version").fetchone()[0]
    key = repr(
        (
            db.identity,
            version,
            sorted(request.args.items(multi=True)),
            current_app.config["SUPPRESSION_THRESHOLD"],
            date.today().isoformat(),
        )
    )
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        stored = _FEED_CACHE.get(key)
        if stored is None:
            built = build()
            stored = (built.get_data(), built.mimetype, dict(built.headers))
            while len(_FEED_CACHE) >= _FEED_CACHE_SIZE:
                _FEED_CACHE.pop(next(iter(_FEED_CACHE)))
            _FEED_CACHE[key] = stored
        body, mimetype, headers = stored
        response = Response(body, mimetype=mimetype)
        if "Content-Disposition" in headers:
            response.headers["Content-Disposition"] = headers["Content-Disposition"]
    response.set_etag(etag)
    # Clients may keep a copy but must ask each time (If-None-Match); nothing in a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


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
