"""The regional view: member areas side by side per measure and quarter, as their feeds published
them. For managers and admins (aggregates only, and only other areas' published figures); on an
instance that is not a region the page says how to make it one.
"""

from flask import Blueprint, abort, current_app, render_template, request
from marshmallow import ValidationError

from .. import region, scorecard, wording
from ..db import get_db
from ..errors import flatten_errors
from ..schemas import RegionQuerySchema
from .auth import role_required

bp = Blueprint("region", __name__, url_prefix="/region")

REASONS = {
    "small_count": "withheld: a small number",
    "secondary": "withheld so a small number cannot be worked out",
}


def cell_text(measure, figure):
    """A stored figure as the page reads it: the area's own withholding said in words, never a number."""
    if figure is None:
        return "not published"
    if figure["suppressed"]:
        return REASONS.get(figure["reason"], "withheld")
    return wording.figure_number(measure, figure["value"])


@bp.route("/")
@role_required("manager", "admin", message="The regional view is for managers.")
def compare():
    try:
        query = RegionQuerySchema().load({k: v for k, v in request.args.to_dict().items() if v.strip()})
    except ValidationError as error:
        abort(400, description=" ".join(m for ms in flatten_errors(error.messages).values() for m in ms))
    measure = query["measure"]
    member_areas = region.areas(current_app.config)
    db = get_db()
    table = region.comparison(db, member_areas, measure)
    for service in table["services"]:
        for row in service["rows"]:
            row["texts"] = [cell_text(measure, row["cells"][area["key"]]) for area in member_areas]
    return render_template(
        "region/compare.html",
        areas=region.statuses(db, member_areas),
        table=table,
        measure=measure,
        measure_label=scorecard.LABELS[measure],
        measures=[(name, scorecard.LABELS[name]) for name in region.MEASURE_NAMES],
    )
