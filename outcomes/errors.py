"""One error shape: JSON for the API, a friendly page for people."""

from flask import jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException


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


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(ValidationError, validation_response)
