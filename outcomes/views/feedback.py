"""What families said about a service (the Friends and Family Test's free text), per period,
for the service's practitioners and managers: never a child's or a parent's name, never in the feed."""

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask_login import current_user
from marshmallow import ValidationError

from .. import fft, periods
from ..access import feedback_services
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import FeedbackQuerySchema
from .auth import role_required

bp = Blueprint("feedback", __name__, url_prefix="/feedback")


@bp.route("/")
@role_required("practitioner", "manager", message="This page is for a service's practitioners and managers.")
def comments():
    try:
        chosen = FeedbackQuerySchema().load(
            {name: value for name, value in request.args.to_dict().items() if value.strip()}
        )
    except ValidationError as error:
        messages = flatten_errors(error.messages).values()
        abort(400, description=" ".join(message for found in messages for message in found))
    period = chosen["period"] or periods.default_period(date.today())
    db = get_db()
    services = feedback_services(db, current_user)
    if chosen["service"]:
        services = [service for service in services if service["key"] == chosen["service"]]
        if not services:
            abort(404)
    choices = periods.choices(date.today())
    if period not in choices:
        choices.insert(0, period)
    return render_template(
        "feedback/comments.html",
        period=period,
        choices=choices,
        chosen_service=chosen["service"],
        all_services=feedback_services(db, current_user),
        sections=[(service, fft.comments(db, service["id"], period)) for service in services],
        good=fft.WHAT_WAS_GOOD,
        better=fft.COULD_BE_BETTER,
    )
