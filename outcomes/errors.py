"""One error shape: JSON for the API, a friendly page for people."""

import re

from flask import jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

# A review, with its 12 targets at most and long notes, is far below this; anything bigger is a
# mistake or an attack, refused before it is read. Other forms (the CSV import) keep the app's limit.
REVIEW_BODY_LIMIT = 256 * 1024
REVIEW_PATHS = re.compile(r"^/(api/v1/reviews|children/\d+/reviews/new|reviews/\d+/)")
TOO_LARGE = "This request is larger than 256 KB, the most a review may be. Nothing was saved."


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def flatten_errors(messages, prefix=""):
    """Marshmallow's nested messages as {"readings.talking": [...]}: one key names one field."""
    flat = {}
    if isinstance(messages, list):
        return {prefix or "_schema": messages}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, name))
        else:
            flat[name] = value
    return flat


def validation_response(error):
    return jsonify({"errors": flatten_errors(error.messages)}), 422


def handle_http_error(error):
    if wants_json():
        return jsonify({"error": error.description}), error.code
    return render_template("error.html", error=error), error.code


def limit_review_bodies():
    """413 for a review body over REVIEW_BODY_LIMIT, declared or streamed."""
    if REVIEW_PATHS.match(request.path):
        request.max_content_length = REVIEW_BODY_LIMIT
        if (request.content_length or 0) > REVIEW_BODY_LIMIT:
            raise RequestEntityTooLarge(TOO_LARGE)


def init_app(app):
    # First of all before_request hooks: the CSRF check reads the form, which must not be parsed.
    app.before_request_funcs.setdefault(None, []).insert(0, limit_review_bodies)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(ValidationError, validation_response)
