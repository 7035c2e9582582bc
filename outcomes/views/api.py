"""The JSON API under /api/v1: reviews from the tablet, and the scorecard feed."""

import hashlib
import json
from datetime import date

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from .. import (
    access,
    audit,
    compression,
    dhis2,
    disclosure,
    fhir,
    mail,
    openapi,
    periods,
    reviews,
    scorecard,
    services,
    stars,
    tokens,
)
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import ReviewSchema, ScorecardQuerySchema, WithdrawalSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Building a schema deep-copies its declared fields (a tenth of a millisecond for a review's); one
# instance loads any number of bodies, as it keeps nothing of a body between loads.
REVIEW_SCHEMA = ReviewSchema()


def json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object with Content-Type: application/json.")
    return body


@bp.route("/reviews", methods=["POST"])
@login_required
def create_review():
    """Store a review once per UUID: 201 new, 200 already stored, 409 UUID taken or a review of
    the child by the service on that date already recorded, 422 bad input, 413 over 256 KB."""
    if current_user.role != "practitioner":
        abort(403, description="Only practitioners record reviews.")
    body = json_body()
    db = get_db()
    try:
        data = REVIEW_SCHEMA.load(body)
        before = reviews.review_by_uuid(db, str(data["uuid"]))
        review, created = reviews.save_review(db, current_user.id, data)
    except ValidationError as error:
        return labelled_errors(db, body, error)
    except reviews.Conflict as error:
        return conflict(error)
    mail.notify_new_review(db, before, review)
    return jsonify(review), 201 if created else 200


def labelled_errors(db, body, error):
    """422 with the field keys in `errors` (in the form's order) and their names in `labels`."""
    service = services.service_by_key(db, str(body.get("service", "")))
    version = service and stars.current_version_id(db, service["id"])
    star = stars.load_version(db, version) if version else None
    closing = body.get("target_outcomes") if isinstance(body.get("target_outcomes"), list) else []
    descriptions = [_target_description(db, entry) for entry in closing]
    errors, labels = reviews.describe_errors(star, flatten_errors(error.messages), descriptions)
    # Not jsonify: it sorts keys, and the errors are in the form's order for the outbox to show.
    return Response(json.dumps({"errors": errors, "labels": labels}), 422, mimetype="application/json")


def _target_description(db, entry):
    target_id = entry.get("target_id") if isinstance(entry, dict) else None
    # The body was refused: its id may be anything, so only a real row id is looked up.
    if type(target_id) is not int or not 0 < target_id < 2**63:
        return "to close"
    row = db.execute("SELECT description FROM targets WHERE id = ?", [target_id]).fetchone()
    return row[0] if row else "to close"


def conflict(error):
    """409 naming the review already stored, so the client can link to it."""
    answer = {"error": str(error)}
    if error.existing is not None:
        answer["uuid"] = error.existing["uuid"]
        answer["url"] = url_for("practitioner.review", review_id=error.existing["id"])
    return jsonify(answer), 409


@bp.route("/reviews/<review_uuid>/withdrawal", methods=["POST"])
@login_required
def withdraw_review(review_uuid):
    """Withdraw a review entered in error (its author or an admin): 200 with the review, marked."""
    db = get_db()
    stored = reviews.review_by_uuid(db, review_uuid)
    # Who may comes before what was sent: anyone else learns nothing, not even that the body was wrong.
    if stored is None or not reviews.may_withdraw(db, current_user, stored):
        abort(404, description="No review with this UUID that you may withdraw.")
    body = json_body()
    try:
        data = WithdrawalSchema().load(body)
        review = reviews.withdraw_review(db, current_user, review_uuid, data["reason"].strip())
    except ValidationError as error:
        return jsonify(
            {"errors": flatten_errors(error.messages), "labels": {"reason": "Why it is withdrawn"}}
        ), 422
    except LookupError:
        abort(404, description="No review with this UUID that you may withdraw.")
    except reviews.Refused as error:
        abort(409, description=str(error))
    return jsonify(review)


@bp.route("/reviews/<review_uuid>", methods=["DELETE"])
@login_required
def discard_draft(review_uuid):
    """Discard a draft (its author only): 204."""
    try:
        reviews.discard_draft(get_db(), current_user.id, review_uuid)
    except LookupError:
        abort(404, description="No draft with this UUID of yours.")
    return "", 204


# --- The scorecard feed: bearer-token clients, no session --------------------------------------


# Power BI and Excel refresh a feed on a schedule with HTTP Basic authentication and no custom
# code, so the token is also accepted as a Basic password (any user name): same check, same record.
CHALLENGE = 'Basic realm="scorecard feed", charset="UTF-8", Bearer'


def presented_token():
    """The token a feed client sent: `Authorization: Bearer <token>` or Basic with it as the password."""
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "bearer":
        return (auth.token or "").strip() or None
    if auth.type == "basic":
        return (auth.password or "").strip() or None
    return None


def refuse_token(message):
    response = make_response(jsonify({"error": message}), 401)
    response.headers["WWW-Authenticate"] = CHALLENGE
    abort(response)


def feed_token_or_401():
    """The feed client's token row; 401 (with a Basic challenge) when missing, unknown or revoked."""
    token = presented_token()
    if token is None:
        refuse_token(
            "Send an API token: 'Authorization: Bearer <token>', or HTTP Basic authentication with the "
            "token as the password (any user name). An admin makes one with "
            "'flask --app outcomes create-token NAME'."
        )
    row = tokens.token_for(get_db(), token)
    if row is None:
        refuse_token("This API token is not valid or has been revoked.")
    return row


# One instance for every pull: a schema copies its fields when made, which cost more than the load.
_FEED_QUERY = ScorecardQuerySchema()


def feed_query_or_400(db):
    """The checked query (period, services, format, breakdown); 400 saying what is accepted otherwise."""
    try:
        query = _FEED_QUERY.load(request.args.to_dict())
    except ValidationError as error:
        refuse_query(flatten_errors(error.messages))
    services = scorecard.services(db)
    if query["service"] is not None:
        chosen = [service for service in services if service["key"] == query["service"]]
        if not chosen:
            accepted = ", ".join(service["key"] for service in services)
            refuse_query({"service": [f"Unknown service '{query['service']}'. Accepted: {accepted}."]})
        services = chosen
    return query["period"], services, query["format"], query["breakdown"]


def refuse_query(errors):
    """400 naming each bad parameter in `errors`, plus the same as one sentence for simple clients."""
    text = " ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    abort(make_response(jsonify({"error": text, "errors": errors}), 400))


@bp.route("/scorecard")
def scorecard_feed():
    """The balanced scorecard of one period, as JSON (default), tidy CSV (streamed) or a DHIS2
    dataValueSets document; 304 when unchanged."""
    feed_token_or_401()
    db = get_db()
    period, services, output, breakdown = feed_query_or_400(db)
    return cached_feed(
        db,
        period,
        lambda: scorecard.scorecard(
            db, services, period, disclosure_policy(), breakdown=breakdown, publish=cached_year
        ),
        lambda stored: _feed_response(stored, output),
    )


def _feed_response(stored, output):
    card = stored["card"]
    if output == "csv":
        return csv_response(card)
    settings = dhis2.settings(current_app.config) if output == "dhis2" else None
    # The body is kept gzipped too, per output settings: compressing a year's card again on every
    # pull cost more than the rest.
    key = repr(settings)
    if key not in stored:
        body = jsonify(dhis2.data_value_set(card, settings) if settings else card).get_data()
        zipped = compression.gzipped(body) if len(body) >= compression.MINIMUM_BYTES else None
        stored[key] = (body, zipped)
    body, zipped = stored[key]
    response = Response(body, mimetype="application/json")
    response.vary.add("Accept-Encoding")
    if zipped is not None and "gzip" in request.accept_encodings:
        response.set_data(zipped)
        response.headers["Content-Encoding"] = "gzip"
    return response


def disclosure_policy():
    """The app's disclosure control policy (setting DISCLOSURE_POLICY), for every published figure."""
    return disclosure.policy_named(current_app.config["DISCLOSURE_POLICY"])


# --- Feed caching -------------------------------------------------------------------------------
# A card is a pure function of the query, the figures' version up to the end of its financial year
# (the card is worked out with its whole year; versions kept by triggers in every write's own
# transaction: the FIGURES_VERSION migrations), the disclosure policy and today's date. The ETag is
# derived from exactly those, so every worker gives the same one and a client's copy revalidates
# with a 304; each worker keeps its recent answers so that repeated pulls skip the computation.
# Today's reviews leave last year's figures, and their cache, standing.
_FEED_CACHE = {}
_FEED_CACHE_SIZE = 64


# A quarter is always published as part of its year, so a year's four quarters and the year itself
# are one computation: kept per figures' version, a region pulling a year quarter by quarter (or a
# client asking for the year after its quarters) pays for it once, not five times.
_YEAR_CACHE = {}
_YEAR_CACHE_SIZE = 16


def figures_version(db, up_to):
    """(undated writes, dated writes on or before `up_to`): moves whenever figures up to then can."""
    return tuple(
        db.execute(
            "SELECT (SELECT n FROM figures_version_undated),"
            " (SELECT total(n) FROM figures_version_by_day WHERE day <= ?)",
            [up_to.isoformat()],
        ).fetchone()
    )


def cached_year(db, service_rows, year, policy, breakdown):
    """scorecard.published_year, kept per (figures' version, services, year, policy, breakdown, day)."""
    version = figures_version(db, year.end)
    services = tuple((s["id"], s["key"], s["name"]) for s in service_rows)
    key = (db.identity, version, services, year.label, policy, breakdown, date.today().isoformat())
    published = _YEAR_CACHE.get(key)
    if published is None:
        published = scorecard.published_year(db, service_rows, year, policy, breakdown)
        while len(_YEAR_CACHE) >= _YEAR_CACHE_SIZE:
            _YEAR_CACHE.pop(next(iter(_YEAR_CACHE)))
        _YEAR_CACHE[key] = published
    return published


def cached_feed(db, period, build, render):
    """`render(stored)` of the card `build()` makes, kept per key in `stored` (a dict where the
    renderer may keep its body too); a CSV is made afresh each time, so that it streams."""
    version = figures_version(db, periods.year_containing(period.start).end)
    key = repr(
        (
            db.identity,
            version,
            sorted(request.args.items(multi=True)),
            disclosure_policy(),  # the policy itself, not only its name: its rules shape the figures
            date.today().isoformat(),
        )
    )
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        stored = _FEED_CACHE.get(key)
        if stored is None:
            stored = {"card": build()}
            while len(_FEED_CACHE) >= _FEED_CACHE_SIZE:
                _FEED_CACHE.pop(next(iter(_FEED_CACHE)))
            _FEED_CACHE[key] = stored
        response = render(stored)
    response.set_etag(etag)
    # Clients may keep a copy but must ask each time (If-None-Match); nothing in a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def csv_response(card):
    """The card as a CSV download named after its period, streamed a row at a time: a region-sized
    breakdown runs to many thousand rows, and the client starts reading at once. The card is made
    before the first byte, so the generator needs no request context and no database."""
    name = f"scorecard-{card['period']['label'].replace(' ', '-')}.csv"
    return Response(
        scorecard.csv_lines(card),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- One child as FHIR R4, for the case-management system and subject access -------------------


@bp.route("/children/<int:child_id>/fhir")
@login_required
def child_fhir(child_id):
    """The child's record as a FHIR R4 Bundle: staff who may see the child, for the services they
    may see (an admin every service); each read audited. Families and managers: 404."""
    db = get_db()
    if current_user.role not in ("practitioner", "admin") or not access.may_see_child(
        db, current_user, child_id
    ):
        abort(404, description="No child with this number that you may see.")
    service_ids = [service["id"] for service in access.visible_services(db, current_user, child_id)]
    audit.record(db, current_user.id, "export child FHIR", child_id, f"services {service_ids}")
    body = fhir.bundle(
        db, child_id, service_ids, url_for("api.openapi_json", _external=True).rsplit("/", 1)[0] + "/fhir/"
    )
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/fhir+json")


@bp.route("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 description of the feed and of POST /api/v1/reviews."""
    return jsonify(openapi.document(scorecard.MEASURES, scorecard.DOMAIN_MEASURES))
